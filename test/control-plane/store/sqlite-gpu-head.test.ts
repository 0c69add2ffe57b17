import t, { type Test } from 'tap'
import { join } from 'node:path'
import { openSqliteDb, type SqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import { createSqliteTelemetryRepository } from '../../../control-plane/store/sqlite/sqlite-telemetry-repository.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { headEntries, SQLITE_NODE_ROWS_SQL } from '../../../control-plane/store/sqlite/sqlite-gpu-head.ts'
import { createSqlGpuHistoryRepository } from '../../../control-plane/store/sql/sql-gpu-history-repository.ts'
import type { SqlDb } from '../../../control-plane/store/sql-db.ts'
import { gpuHistory } from '../../../control-plane/store/sql/gpu-block-reads.ts'
import type { TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import { sample } from './telemetry-repository-suite.ts'

const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
const MIN = 60_000
const GPUS = [0, 1, 2, 3]
// A push as agents send it: 10 ticks of every GPU, tick-major, from `at`; power varies per row.
const push = (nodeId: number, at: number, ticks = 10) => ({
  nodeId,
  clusterId: 1,
  hostname: `node-${nodeId}`,
  samples: Array.from({ length: ticks }, (_, k) => GPUS.map(g => sample(g, at + k * 1000, 100 + nodeId * 10 + g + (at / 1000 + k) % 97))).flat(),
})

/** Rows no entry of their node and minute names, and entries that name no row. */
function coverage (db: SqliteDb): { uncovered: number, empty: number } {
  const uncovered = db.raw.prepare(`SELECT COUNT(*) AS n FROM gpu_stats s WHERE NOT EXISTS (SELECT 1 FROM gpu_stats_dir d
    WHERE d.minute_at = s.recorded_at / 60000 * 60000 AND d.node_id = s.node_id AND s.id BETWEEN d.first_id AND d.last_id)`).get() as { n: number }
  const empty = db.raw.prepare(`SELECT COUNT(*) AS n FROM gpu_stats_dir d WHERE NOT EXISTS (SELECT 1 FROM gpu_stats s
    WHERE s.id BETWEEN d.first_id AND d.last_id AND s.node_id = d.node_id AND s.recorded_at >= d.minute_at AND s.recorded_at < d.minute_at + 60000)`).get() as { n: number }
  return { uncovered: uncovered.n, empty: empty.n }
}

/** gpuHistory through the directory equals the time-key scan (main's read) for every node and GPU, over several ranges. */
async function sameAsScan (t: Test, db: SqliteDb, repo: TelemetryRepository, nodes: number[], label: string): Promise<void> {
  const ranges = [[T0 - MIN, T0 + 40 * MIN], [T0 + 4 * MIN + 321, T0 + 11 * MIN + 5], [T0 + 14 * MIN, T0 + 26 * MIN + 1], [T0 + 29 * MIN, T0 + 29 * MIN]]
  let rows = 0
  let differ = 0
  for (const node of nodes) {
    for (const gpu of GPUS) {
      for (const [from, to] of ranges) {
        const got = await repo.gpuHistory(node, gpu, from!, to!)
        const want = await gpuHistory(sqliteSqlDb(db), node, gpu, from!, to!)
        rows += got.length
        if (JSON.stringify(got) !== JSON.stringify(want)) differ++
      }
    }
  }
  t.equal(differ, 0, `${label}: gpuHistory answers as the time-key scan (${rows} rows)`)
}

t.test('headEntries: one entry per minute, lowest to highest id of its rows', async t => {
  t.same(headEntries([], []), [])
  t.same(headEntries([7, 8, 9, 10], [T0 + 59_000, T0 + 60_000, T0 + 1000, T0 + 61_000]), [
    { minuteAt: T0, firstId: 7, lastId: 9 },
    { minuteAt: T0 + MIN, firstId: 8, lastId: 10 },
  ])
})

t.test('the directory names every raw row through duplicates, late rows, thaws, compaction, prune and a rebuild', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  let db = openSqliteDb(path)
  migrateSqliteStore(db)
  let repo = createSqliteTelemetryRepository(db)
  const nodes = [1, 2, 3]

  // Pushes every 10 s, offset 5 s so each second one crosses a minute.
  for (let s = 5; s < 30 * 60; s += 10) await repo.insertSamples(nodes.map(n => push(n, T0 + s * 1000 + n)))
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'ingest: every row named, no entry empty')
  const entries = (db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats_dir').get() as { n: number }).n
  t.equal(entries, 3 * (180 + 30), 'one entry per push and minute (a push a minute crosses one)')

  // A replay with new rows among duplicates: the new ones get ids with gaps between them.
  const replay = { ...push(2, T0 + 95_002), samples: [push(2, T0 + 95_002), push(2, T0 + 95_502)].flatMap(p => p.samples) }
  replay.samples.sort((a, b) => Math.floor(a.recordedAt / 1000) - Math.floor(b.recordedAt / 1000))
  const [r] = await repo.insertSamples([replay])
  t.same([r!.inserted, r!.duplicates], [40, 40], 'duplicates and new rows in one push')
  // Late rows of one node at times the head already holds for others.
  await repo.insertSamples([push(4, T0 + 3 * MIN + 500), push(1, T0 + 7 * MIN + 999, 3)])
  nodes.push(4)
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'duplicates and late rows named')
  await sameAsScan(t, db, repo, nodes, 'head only')

  const c = await repo.compact({ before: T0 + 20 * MIN, limit: 2_000 })
  t.equal(c.more, true, 'a bounded step leaves a span half done')
  while ((await repo.compact({ before: T0 + 20 * MIN, limit: 2_000 })).more);
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'compaction drops the entries of the rows it moved')
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats WHERE recorded_at < ?').get(T0 + 20 * MIN) as { n: number }).n, GPUS.length,
    'only node 4\'s latest rows stay raw before the watermark')
  await sameAsScan(t, db, repo, nodes, 'across the watermark')

  // A late row into a compacted span thaws its block: the thawed rows get entries.
  await repo.insertSamples([push(3, T0 + 6 * MIN + 200, 2)])
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'thawed rows named')
  await sameAsScan(t, db, repo, nodes, 'after a thaw')

  // An entry left pointing at ids SQLite handed out again must not double a row.
  db.raw.exec(`INSERT INTO gpu_stats_dir (minute_at, node_id, first_id, last_id)
    SELECT minute_at, node_id, first_id - 1, last_id + 5 FROM gpu_stats_dir WHERE node_id = 1 AND minute_at = ${T0 + 25 * MIN}`)
  await sameAsScan(t, db, repo, [1], 'overlapping entries')

  while ((await repo.prune({ rawBefore: T0 + 24 * MIN, rollupBefore: 0, limit: 500 })).more);
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'prune drops the entries of pruned rows')
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats_dir WHERE minute_at < ?').get(T0 + 23 * MIN) as { n: number }).n, 0)
  await sameAsScan(t, db, repo, nodes, 'after prune')

  // A restart that rebuilds the directory from the rows (migration 8, as on an upgrade).
  const before = await Promise.all(nodes.flatMap(n => GPUS.map(async g => repo.gpuHistory(n, g, T0, T0 + 40 * MIN))))
  db.raw.exec("DROP TABLE gpu_stats_dir; DELETE FROM schema_migrations WHERE domain = 'telemetry' AND version = 8")
  db.close()
  db = openSqliteDb(path)
  t.teardown(() => db.close())
  migrateSqliteStore(db)
  repo = createSqliteTelemetryRepository(db)
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'migration 8 names every row')
  t.same(await Promise.all(nodes.flatMap(n => GPUS.map(async g => repo.gpuHistory(n, g, T0, T0 + 40 * MIN)))), before, 'the same history after the rebuild')
  await sameAsScan(t, db, repo, nodes, 'after the rebuild')
  await repo.insertSamples(nodes.map(n => push(n, T0 + 30 * MIN + n)))
  t.same(coverage(db), { uncovered: 0, empty: 0 }, 'ingest after the rebuild')
})

/** A migrated file store with 5 minutes of `nodes`' pushes, one every 10 s from `firstS` on. */
async function fiveMinutes (t: Test, nodes: number[], firstS: number): Promise<SqliteDb> {
  const db = openSqliteDb(join(t.testdir(), 'gpufleet.db'))
  t.teardown(() => db.close())
  migrateSqliteStore(db)
  const repo = createSqliteTelemetryRepository(db)
  for (let s = firstS; s < 5 * 60; s += 10) await repo.insertSamples(nodes.map(n => push(n, T0 + s * 1000 + n)))
  return db
}

t.test('migration 8 on a version-7 database: entries per run of one node\'s ids in a minute', async t => {
  const db = await fiveMinutes(t, [1, 2], 0)
  db.raw.exec("DROP TABLE gpu_stats_dir; DELETE FROM schema_migrations WHERE domain = 'telemetry' AND version = 8")
  migrateSqliteStore(db)
  t.same(coverage(db), { uncovered: 0, empty: 0 })
  t.equal((db.raw.prepare('SELECT COUNT(*) AS n FROM gpu_stats_dir').get() as { n: number }).n, 2 * 30, 'one per push')
})

t.test('the per-GPU history rebuilds a dirty node-minute from that node\'s rows through the directory, not the fleet\'s minute', async t => {
  const db = await fiveMinutes(t, [1, 2, 3, 4, 5], 5)

  // The SQL the rebuild reads with, kept to be asked for its plan.
  const sql = sqliteSqlDb(db)
  const reads: Array<{ text: string, args: unknown[] }> = []
  const watched: SqlDb = { ...sql, all: (text, ...args) => { reads.push({ text, args }); return sql.all(text, ...args) } }
  const history = createSqlGpuHistoryRepository(watched, SQLITE_NODE_ROWS_SQL)
  await history.markDirty([{ nodeId: 3, bucketAt: T0 + 2 * MIN + 17 }])
  t.equal(await history.rebuildDirty(10), 1)

  const raw = reads.filter(r => /\bgpu_stats\b(?!_)/.test(r.text))
  t.equal(raw.length, 1, 'one raw read for the dirty node-minute')
  const plan = (db.raw.prepare(`EXPLAIN QUERY PLAN ${raw[0]!.text}`).all(...raw[0]!.args as number[]) as Array<{ detail: string }>).map(p => p.detail)
  t.ok(plan.some(d => /gpu_stats_dir/.test(d)), `the node's directory entries are searched (${plan.join(' | ')})`)
  t.notOk(plan.some(d => /gpu_stats_time_node_gpu \(recorded_at>\? AND recorded_at<\?\)/.test(d)), 'the time key is not walked over the fleet\'s minute')

  // The same minutes as the key's read (the shared SQL, on a second repository over the same rows).
  const byKey = createSqlGpuHistoryRepository(sql)
  const built = await history.buckets({ nodeId: 3, fromMs: T0, toMs: T0 + 5 * MIN, span: 1 })
  await byKey.markDirty([{ nodeId: 3, bucketAt: T0 + 2 * MIN }])
  await sql.run('DELETE FROM gpu_history')
  t.equal(await byKey.rebuildDirty(10), 1)
  t.same(await byKey.buckets({ nodeId: 3, fromMs: T0, toMs: T0 + 5 * MIN, span: 1 }), built, 'the directory\'s minute equals the key\'s')
  // The dirty bucket is 5 minutes: each of the 4 GPUs' minutes, ticks from 5 s on.
  t.equal(built.length, 4 * 5, 'the bucket\'s minutes of each of the node\'s 4 GPUs')
  t.equal(built.reduce((n, b) => n + b.samples, 0), 4 * (55 + 4 * 60), 'every tick of them')
})
