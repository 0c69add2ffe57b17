import t from 'tap'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import { createSqliteTelemetryRepository } from '../../../control-plane/store/sqlite/sqlite-telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'

// SQLite's ingest, rollup rebuild and retention are synchronous transactions on the one
// connection. While another handler's async transaction holds it (the fleet's per-push writes
// await between statements), they wait instead of failing the push or landing inside it.
const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)

t.test('telemetry writes wait for an open async transaction and are not rolled back with it', async t => {
  const db = openSqliteDb(':memory:')
  migrateSqliteStore(db)
  const sql = sqliteSqlDb(db)
  const telemetry = createSqliteTelemetryRepository(db)
  let entered!: () => void
  const inside = new Promise<void>(resolve => { entered = resolve })
  const failing = sql.tx(null, async q => {
    await q.run("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES ('held', 1, 0, 0)")
    entered()
    await new Promise(resolve => setImmediate(resolve))
    throw new Error('boom')
  })
  await inside
  const ingest = telemetry.insertSamples([{ nodeId: 1, clusterId: null, hostname: 'node-1', samples: [sample(0, T0, 300)] }])
  const rebuild = telemetry.rebuildRollups(T0, T0 + 60_000)
  const prune = telemetry.prune({ rawBefore: T0 - 1, rollupBefore: T0 - 1, limit: 10 })
  await t.rejects(failing, /boom/)
  const [stored] = await ingest
  t.equal(stored!.inserted, 1)
  await rebuild
  t.same(await prune, { deleted: 0, more: false })
  t.equal((await sql.all('SELECT id FROM gpu_stats')).length, 1, 'the sample outlived the failed transaction')
  t.equal((await sql.all("SELECT id FROM tenants WHERE name = 'held'")).length, 0)
  db.close()
})
