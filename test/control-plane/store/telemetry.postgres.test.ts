import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { telemetryRepositorySuite } from './telemetry-repository-suite.ts'
import { telemetryCompactionSuite } from './telemetry-compaction-suite.ts'
import { telemetryPowerMigrationSuite } from './telemetry-power-migration-suite.ts'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import { noGpuReadings } from '../../helpers/no-gpu-readings.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  telemetryRepositorySuite(t, pg.openStore)
})

t.test('postgres: compaction steps', async t => {
  const pg = await postgresTestDatabase(t)
  telemetryCompactionSuite(t, pg.openStore)
})

t.test('postgres: migration 2, power per recorded_at', async t => {
  const pg = await postgresTestDatabase(t)
  const { default: Pg } = await import('pg')
  telemetryPowerMigrationSuite(t, async () => {
    const schema = pg.freshSchema()
    return {
      powerMigration: 2,
      open: () => openPostgresStore(pg.url, { schema }),
      async sql (text) {
        const client = new Pg.Client({ connectionString: pg.url, options: `-c search_path=${schema}` })
        await client.connect()
        try { await client.query(text) } finally { await client.end() }
      },
    }
  })
})

t.test('postgres: telemetry tables are partitioned by UTC day; retention drops whole days', async t => {
  const pg = await postgresTestDatabase(t)
  const store = await pg.openStore()
  const DAY = 86_400_000
  const today = Math.floor(Date.now() / DAY) * DAY
  const old = today - 10 * DAY + 3_600_000
  const s = (at: number) => ({ ...noGpuReadings(), gpuId: 0, recordedAt: at, name: 'B200', uuid: null, pciBusId: null, powerDrawW: 100, tempC: 50, memoryUsedMb: 1, memoryTotalMb: 2, utilizationPct: 3, powerDrawAvgW: null, powerLimitW: null, memoryTempC: null, memoryReservedMb: null, memoryUtilizationPct: null, smClockMhz: null, memClockMhz: null, eccErrorsCorrected: null, eccErrorsUncorrected: null })
  await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'h', samples: [s(old), s(today + 1000)] }])
  const client = new (await import('pg')).default.Client({ connectionString: pg.url })
  await client.connect()
  t.teardown(() => client.end())
  const days = async (table: string) => (await client.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = 's0.${table}'::regclass ORDER BY 1`)).rows.map(r => String(r.relname).slice(-9))
  const d = (at: number) => `d${new Date(at).toISOString().slice(0, 10).replaceAll('-', '')}`
  t.same(await days('gpu_stats'), [d(old), d(today), d(today + DAY)], 'the old day on demand; today and tomorrow ahead')
  const r = await store.telemetry.prune({ rawBefore: today - 7 * DAY, rollupBefore: today - 90 * DAY, limit: 1000 })
  t.same(r, { deleted: 3, more: false }, 'a raw row and its cluster and fleet per-second sums')
  t.same(await days('gpu_stats'), [d(today), d(today + DAY)], 'the whole day was dropped')
  t.same(await days('gpu_rollup'), [d(old), d(today), d(today + DAY)], 'rollups outlive raw rows')
  t.equal(await store.telemetry.countSamples(), 1)
  const [late] = await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'h', samples: [s(old + 1000)] }])
  t.equal(late!.inserted, 1, 'a row for a dropped day recreates its partition')
})
