import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { openSqliteReader } from '../../../control-plane/store/sqlite/open-sqlite-reader.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { createSqlGpuHistoryRepository } from '../../../control-plane/store/sql/sql-gpu-history-repository.ts'
import { createSqlDashboardRepository } from '../../../control-plane/store/sql/sql-dashboard-repository.ts'
import { SQLITE_UTILIZATION_SQL } from '../../../control-plane/store/sqlite/sqlite-utilization-sql.ts'
import { SQLITE_NODE_ROWS_SQL } from '../../../control-plane/store/sqlite/sqlite-gpu-head.ts'
import type { SqlDb } from '../../../control-plane/store/sql-db.ts'
import { sample } from './telemetry-repository-suite.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)

t.test('numericRows: the rows the main connection reads, NULL as null; errors name the cause', async t => {
  const path = join(t.testdir(), 'r.db')
  const db = openSqliteDb(path)
  db.raw.exec('CREATE TABLE x (a INTEGER, b REAL, c TEXT)')
  const insert = db.raw.prepare('INSERT INTO x VALUES (?, ?, ?)')
  for (let i = 0; i < 1000; i++) insert.run(i, i % 7 === 0 ? null : i / 4, `t${i}`)
  const reader = openSqliteReader(path)
  t.teardown(async () => { await reader.close(); db.close() })

  const sql = 'SELECT a, b, a * 2 AS twice FROM x WHERE a >= ? ORDER BY a'
  const rows = await reader.numericRows(sql, [14])
  t.same(rows, db.raw.prepare(sql).all(14).map(r => ({ ...r })), 'same rows and columns, NULL kept')
  t.equal(rows[0]!.b, null)
  t.equal(reader.starts(), 1)

  // A row committed on another connection is in the next read (WAL: a snapshot per statement).
  insert.run(5000, 1.5, 'late')
  t.same(await reader.numericRows('SELECT COUNT(*) AS n, MAX(a) AS top FROM x', []), [{ n: 1001, top: 5000 }])
  t.same(await reader.numericRows('SELECT a FROM x WHERE a < 0', []), [], 'no rows')

  await t.rejects(reader.numericRows('SELECT c FROM x', []), /sqlite reader: column c holds a string, not a number or NULL/)
  await t.rejects(reader.numericRows('SELECT nope FROM x', []), /sqlite reader: no such column: nope/)
  await t.rejects(reader.numericRows('DELETE FROM x', []), /sqlite reader: attempt to write a readonly database/, 'read-only connection')
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM x').get() as { n: number }).n, 1001, 'nothing was deleted')
  t.equal(reader.starts(), 1, 'an error leaves the thread up')

  // Rows of any type, sent back in parts of ROWS_PER_MESSAGE (2,000): one, several, none.
  for (let i = 1001; i < 4500; i++) insert.run(10_000 + i, null, `t${i}`)
  const all = 'SELECT a, b, c FROM x ORDER BY a'
  const got = await reader.rows(all, [])
  t.equal(got.length, 4500)
  t.same(got, db.raw.prepare(all).all().map(r => ({ ...r })), 'every row, in order, strings and NULLs too')
  t.same(await reader.rows('SELECT c FROM x WHERE a = ?', [3]), [{ c: 't3' }])
  t.same(await reader.rows('SELECT c FROM x WHERE a < 0', []), [])
  await t.rejects(reader.rows('SELECT nope FROM x', []), /sqlite reader: no such column: nope/)

  await reader.close()
  await t.rejects(reader.numericRows(sql, [0]), /sqlite reader closed/)
  await t.rejects(reader.rows(all, []), /sqlite reader closed/)
})

/** The main connection's SqlDb, recording every statement read through it. */
function spied (db: SqlDb, reads: string[]): SqlDb {
  return {
    ...db,
    all: async (sql, ...args) => { reads.push(sql); return await db.all(sql, ...args) },
    one: async (sql, ...args) => { reads.push(sql); return await db.one(sql, ...args) },
  }
}

// The minute read aggregates every GPU's raw rows since the settled minute. node:sqlite runs a
// statement synchronously, so on the event loop's connection it stopped every request until it
// returned: ~1.3 s each minute at 1,000 hosts (bench/ingest.ts --full --agents 1000 --seconds 70).
t.test('advanceMinutes reads the raw rows off the event loop and writes the same minutes', async t => {
  const dir = t.testdir()
  const store = await openSqliteStore(join(dir, 'db', 'gpufleet.db'))
  t.teardown(() => store.close())
  for (const nodeId of [1, 2, 3]) {
    const samples = []
    for (let at = T0; at < T0 + 3 * MIN; at += 5_000) for (let g = 0; g < 4; g++) samples.push(sample(g, at, at % 7 === 0 ? null : 100 + nodeId * 10 + g))
    await store.telemetry.insertSamples([{ nodeId, clusterId: 1, hostname: `node-${nodeId}`, samples }])
  }
  const main = openSqliteDb(join(dir, 'db', 'gpufleet.db'))
  const reader = openSqliteReader(join(dir, 'db', 'gpufleet.db'))
  t.teardown(async () => { await reader.close(); main.close() })
  const reads: string[] = []
  const history = createSqlGpuHistoryRepository(spied(sqliteSqlDb(main), reads), SQLITE_NODE_ROWS_SQL, reader.numericRows)
  t.equal(await history.advanceMinutes(T0, T0 + 3 * MIN, T0 + MIN), 3 * 3 * 4, 'a minute per node and GPU')
  const onLoop = reads.filter(sql => /FROM gpu_stats AS s/.test(sql))
  t.same(onLoop, [], 'no raw rows read on the event loop\'s connection')
  t.equal(reader.starts(), 1, 'the reader thread read them')

  // The same minutes as the read on the main connection gives.
  const written = await sqliteSqlDb(main).all('SELECT * FROM gpu_history WHERE span_min = 1 ORDER BY node_id, gpu_id, bucket_at')
  const inline = createSqlGpuHistoryRepository(sqliteSqlDb(main), SQLITE_NODE_ROWS_SQL)
  await sqliteSqlDb(main).run('DELETE FROM gpu_history')
  await inline.advanceMinutes(T0, T0 + 3 * MIN, T0 + MIN)
  t.same(await sqliteSqlDb(main).all('SELECT * FROM gpu_history WHERE span_min = 1 ORDER BY node_id, gpu_id, bucket_at'), written)
  t.equal(written.length, 36)
})

// Every GPU of the fleet with its newest sample, for each alert pass (every 30 s) and dashboard
// request: at 5,000 hosts the read and its mapping held the event loop 0.8–1.3 s.
t.test('gpuStates reads the fleet\'s GPUs off the event loop and answers the same', async t => {
  const dir = t.testdir()
  const path = join(dir, 'db', 'gpufleet.db')
  const store = await openSqliteStore(path)
  t.teardown(() => store.close())
  for (const hostname of ['a', 'b', 'c']) {
    const { node } = await store.fleet.upsertNode({ clusterId: (await store.fleet.ensureCluster('c1', null, T0)).id, hostname }, T0)
    await store.fleet.registerGpus(node.id, [0, 1, 2].map(i => ({ gpuIndex: i, uuid: `GPU-${hostname}-${i}`, model: 'NVIDIA H100' })), T0)
    await store.telemetry.insertSamples([{ nodeId: node.id, clusterId: node.clusterId, hostname, samples: [0, 1, 2].map(g => sample(g, T0 + 1000, 300 + g)) }])
  }
  const main = openSqliteDb(path)
  const reader = openSqliteReader(path)
  t.teardown(async () => { await reader.close(); main.close() })
  const reads: string[] = []
  const dashboard = createSqlDashboardRepository(spied(sqliteSqlDb(main), reads), SQLITE_UTILIZATION_SQL, reader.rows)
  const states = await dashboard.gpuStates()
  t.same(reads.filter(sql => /FROM gpus g/.test(sql)), [], 'no read of the GPUs on the event loop\'s connection')
  t.equal(reader.starts(), 1)
  t.equal(states.length, 9)
  t.same(states, await createSqlDashboardRepository(sqliteSqlDb(main), SQLITE_UTILIZATION_SQL).gpuStates(), 'the same states as read on the main connection')
  t.same(await store.dashboard.gpuStates(), states, 'and as the store answers')
})

t.test('fleetReads: thread or inline, anything else refused before a file is touched', async t => {
  const dir = t.testdir()
  await t.rejects(openSqliteStore(join(dir, 'db', 'gpufleet.db'), { fleetReads: 'elsewhere' as 'thread' }), /fleetReads must be 'thread' or 'inline', got elsewhere/)
  t.notOk(existsSync(join(dir, 'db')), 'no directory made')
  const store = await openSqliteStore(join(dir, 'inline', 'gpufleet.db'), { fleetReads: 'inline' })
  t.teardown(() => store.close())
  t.same(await store.dashboard.gpuStates(), [], 'inline reads answer on the event loop\'s connection')
})
