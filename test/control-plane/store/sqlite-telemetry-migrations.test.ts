import t from 'tap'
import { join } from 'node:path'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { applyMigrations } from '../../../control-plane/store/sqlite/apply-migrations.ts'
import { TELEMETRY_MIGRATIONS } from '../../../control-plane/store/sqlite/sqlite-telemetry-migrations.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { sample } from './telemetry-repository-suite.ts'
import { telemetryPowerMigrationSuite } from './telemetry-power-migration-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)

t.test('a version-1 database migrates to the time-led raw key and keeps its rows and their idempotency', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const old = openSqliteDb(path)
  applyMigrations(old, 'telemetry', TELEMETRY_MIGRATIONS.filter(m => m.version === 1))
  old.raw.exec(`INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, power_draw_w) VALUES (4, NULL, 0, ${T0}, 250);
    INSERT INTO gpu_stats_latest (node_id, gpu_id, recorded_at) VALUES (4, 0, ${T0});
    INSERT INTO gpu_identity (node_id, gpu_id, identity_at, name) VALUES (4, 0, ${T0}, 'NVIDIA B200')`)
  old.close()

  const store = await openSqliteStore(path, { checkpoint: 'inline' })
  t.teardown(() => store.close())
  const check = openSqliteDb(path)
  t.teardown(() => check.close())
  const indexes = (check.raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gpu_stats'`)
    .all() as Array<{ name: string }>).map(r => r.name).sort()
  t.same(indexes, ['gpu_stats_pick', 'gpu_stats_time_node_gpu'], 'the node-first key is replaced')

  const [again] = await store.telemetry.insertSamples([{ nodeId: 4, clusterId: null, hostname: 'n4', samples: [sample(0, T0, 999)] }])
  t.equal(again!.inserted, 0, 'a row stored before the migration is still a duplicate')
  const [next] = await store.telemetry.insertSamples([{ nodeId: 4, clusterId: null, hostname: 'n4', samples: [sample(0, T0 + 1000, 300)] }])
  t.equal(next!.inserted, 1)
  t.same((await store.telemetry.latest()).map(s => [s.nodeId, s.recordedAt, s.powerDrawW]), [[4, T0 + 1000, 300]])
  t.equal(await store.telemetry.countSamples(), 2)
})

t.test('migration 3: power per recorded_at', async t => {
  const dir = t.testdir()
  let n = 0
  telemetryPowerMigrationSuite(t, async () => {
    const path = join(dir, `m${n++}.db`)
    return {
      powerMigration: 3,
      open: () => openSqliteStore(path, { checkpoint: 'inline' }),
      async sql (text) {
        const db = openSqliteDb(path)
        try { db.raw.exec(text) } finally { db.close() }
      },
    }
  })
})
