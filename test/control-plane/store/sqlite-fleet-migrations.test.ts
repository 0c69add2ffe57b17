import t from 'tap'
import { join } from 'node:path'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { applyMigrations } from '../../../control-plane/store/sqlite/apply-migrations.ts'
import { FLEET_MIGRATIONS } from '../../../control-plane/store/sqlite/sqlite-fleet-migrations.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'

const T0 = Date.UTC(2026, 6, 14, 9, 0, 0)

t.test("fleet version 1 → 2: GPUs stored 'idle' without a utilization become 'unknown'; job holders and ids survive the rebuild", async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const old = openSqliteDb(path)
  applyMigrations(old, 'fleet', FLEET_MIGRATIONS.filter(m => m.version === 1))
  old.raw.exec(`INSERT INTO clusters (id, name, created_at) VALUES (1, 'c', ${T0});
    INSERT INTO nodes (id, cluster_id, hostname, status, registered_at) VALUES (1, 1, 'mig-host', 'online', ${T0});
    INSERT INTO gpus (id, node_id, gpu_index, model, status, utilization_pct, power_draw_w, updated_at, created_at)
      VALUES (7, 1, 0, 'NVIDIA H100 80GB HBM3', 'idle', NULL, 432, ${T0}, ${T0}),
             (8, 1, 1, 'NVIDIA H100 80GB HBM3', 'idle', 3, 90, ${T0}, ${T0}),
             (9, 1, 2, 'NVIDIA H100 80GB HBM3', 'active', 97, 650, ${T0}, ${T0});
    CREATE TABLE holder (id INTEGER PRIMARY KEY, gpu_id INTEGER NOT NULL REFERENCES gpus(id));
    INSERT INTO holder (gpu_id) VALUES (7);`)
  old.close()

  const store = await openSqliteStore(path, { checkpoint: 'inline' })
  t.teardown(() => store.close())
  t.same((await store.fleet.listGpus()).map(g => [g.id, g.status, g.utilizationPct, g.migMode]),
    [[7, 'unknown', null, null], [8, 'idle', 3, null], [9, 'active', 97, null]])
  const check = openSqliteDb(path)
  t.teardown(() => check.close())
  t.same(check.raw.prepare('PRAGMA foreign_key_check').all(), [], 'references to gpus still resolve')
  const ref = check.raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'holder'").get() as { sql: string }
  t.match(ref.sql, /REFERENCES gpus\(id\)/, 'other tables still reference gpus, not a renamed copy')
  t.equal((check.raw.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys, 1, 'foreign keys back on for the store connection')
  t.throws(() => check.raw.exec("UPDATE gpus SET status = 'busy' WHERE id = 7"), /CHECK/, 'the new CHECK holds')
})
