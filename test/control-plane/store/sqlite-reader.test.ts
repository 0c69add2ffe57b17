import t from 'tap'
import { join } from 'node:path'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { openSqliteReader } from '../../../control-plane/store/sqlite/open-sqlite-reader.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { bind, sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { createSqlGpuHistoryRepository } from '../../../control-plane/store/sql/sql-gpu-history-repository.ts'
import type { HistoryDbRow } from '../../../control-plane/store/sql/gpu-history-rows.ts'
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

  await reader.close()
  await t.rejects(reader.numericRows(sql, [0]), /sqlite reader closed/)
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
  const offLoop = (sql: string, args: unknown[]) => reader.numericRows<HistoryDbRow>(sql, bind(args))
  const history = createSqlGpuHistoryRepository(spied(sqliteSqlDb(main), reads), SQLITE_NODE_ROWS_SQL, offLoop)
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
