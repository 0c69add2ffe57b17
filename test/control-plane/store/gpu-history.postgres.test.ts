import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { gpuHistorySuite } from './gpu-history-suite.ts'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import { createGpuHistoryLoop, HISTORY_LATE_AFTER_MS } from '../../../control-plane/loops/create-gpu-history-loop.ts'
import { withLateHistoryMarks } from '../../../control-plane/telemetry/with-late-history-marks.ts'
import { sample } from './telemetry-repository-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  gpuHistorySuite(t, pg.openStore)
})

t.test('postgres: another replica\'s late rows reach the leader\'s history (the dirty buckets are in the database)', async t => {
  const pg = await postgresTestDatabase(t)
  const schema = pg.freshSchema()
  const leader = await openPostgresStore(pg.url, { schema })
  t.teardown(() => leader.close())
  const other = await openPostgresStore(pg.url, { schema })
  t.teardown(() => other.close())
  const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
  const MIN = 60_000
  const rows = Array.from({ length: 30 }, (_, i) => sample(0, T0 + i * 10_000, 100, { utilizationPct: 10 }))
  await leader.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n', samples: rows }])
  let clock = T0 + 8 * MIN
  const loop = createGpuHistoryLoop({ store: leader, now: () => clock })
  await loop.tick()
  const bucket = async () => (await leader.gpuHistory.buckets({ nodeId: 1, gpuId: 0, fromMs: T0, toMs: T0 + 5 * MIN, span: 5 }))[0]
  t.match(await bucket(), { samples: 30, utilSum: 300 })
  // The other replica ingests a replayed row for that bucket; only the leader runs the loop.
  const ingest = withLateHistoryMarks(other.telemetry, other.gpuHistory, () => clock, HISTORY_LATE_AFTER_MS)
  await ingest.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'n', samples: [sample(0, T0 + 4 * MIN + 1000, 100, { utilizationPct: 100 })] }])
  clock += MIN
  t.equal((await loop.tick()).dirtyRebuilt, 1)
  t.match(await bucket(), { samples: 31, utilSum: 400, utilMax: 100 })
})
