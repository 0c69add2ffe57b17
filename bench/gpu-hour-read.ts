/**
 * One GPU's raw hour and compaction's per-node step at fleet scale (issue 18), SQLite: the head
 * (raw rows not compacted yet) filled for `--hosts` × `--gpus` × `--minutes` the way ingest
 * lays it out (one push per host and 10 s: 10 ticks × its GPUs, consecutive rowids; written in
 * one SQL statement for speed, the head directory's entries one per push when the schema has
 * it), then:
 * - p50/p99 of store.telemetry.gpuHistory over the whole range for `--reads` GPUs;
 * - `--compact-steps` compaction steps of 5,000 rows (the retention loop's step): ms per node;
 * - `--rebuild-nodes` nodes' dirty 5-minute buckets (late data, e.g. every agent replaying its
 *   spool) rebuilt by the per-GPU history, SQLite: through the head directory (what the store
 *   does) and through the time key (before), same rows, same run, answers compared;
 * - ingest CPU per 1k GPU-rows through store.telemetry.insertSamples (`--ingest-hosts` hosts
 *   pushing 10 ticks each for `--ingest-seconds`, a fresh store), the hot path the directory
 *   adds a statement per push to.
 *
 *   node bench/gpu-hour-read.ts [--hosts 20,200,1000] [--gpus 8] [--minutes 60] [--reads 100]
 *     [--compact-steps 10] [--rebuild-nodes 100] [--ingest-hosts 200] [--ingest-seconds 300] [--db sqlite|postgres]
 *
 * `--db postgres`: the same head in a throwaway database of the test cluster (its node-led key
 * needs no directory), reads and compaction only.
 *
 * "Before" is the same file run from a copy of main (`git archive main`): it writes no
 * directory there and reads the way main does. Interleave the two runs per size.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import pg from 'pg'
import { benchArgs } from './bench-args.ts'
import { throwawayPostgresDb } from './throwaway-postgres.ts'
import { realisticGpu } from './realistic-gpu-readings.ts'
import { openStore } from '../control-plane/store/open-store.ts'
import type { SampleBatch } from '../control-plane/store/telemetry-repository.ts'
import { openSqliteDb } from '../control-plane/store/sqlite/sqlite-db.ts'
import { sqliteSqlDb } from '../control-plane/store/sqlite/sqlite-sql-db.ts'
import { SQLITE_NODE_ROWS_SQL } from '../control-plane/store/sqlite/sqlite-gpu-head.ts'
import { createSqlGpuHistoryRepository } from '../control-plane/store/sql/sql-gpu-history-repository.ts'

const args = benchArgs({ db: 'sqlite', hosts: '20,200,1000', gpus: '8', minutes: '60', reads: '100', 'compact-steps': '10', 'rebuild-nodes': '100', 'ingest-hosts': '200', 'ingest-seconds': '300' })
const gpus = Number(args.gpus)
const minutes = Number(args.minutes)
const T0 = Date.UTC(2026, 3, 26, 0, 0, 0)
const load = () => loadavg().map(l => l.toFixed(1)).join(' ')
const pct = (ms: number[], p: number) => [...ms].sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(ms.length * p))]!.toFixed(2)

for (const hosts of args.hosts.split(',').filter(h => h !== '').map(Number)) await readsAt(hosts)
if (Number(args['ingest-seconds']) > 0 && args.db === 'sqlite') await ingestCpu(Number(args['ingest-hosts']), Number(args['ingest-seconds']))

async function readsAt (hosts: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-hour-'))
  const target = args.db === 'postgres' ? await throwawayPostgresDb('hour') : { url: join(dir, 'gpufleet.db'), cleanup: async () => {} }
  const store = await openStore(target.url)
  const rows = args.db === 'postgres' ? await fillPostgres(target.url, hosts, store) : fill(target.url, hosts)
  const ms: number[] = []
  let n = 0
  for (let i = 0; i < Number(args.reads); i++) {
    const t = performance.now()
    n = (await store.telemetry.gpuHistory(1 + (i * 7919) % hosts, i % gpus, T0, T0 + minutes * 60_000)).length
    ms.push(performance.now() - t)
  }
  console.log(`${hosts} hosts × ${gpus} GPUs × ${minutes} min (${rows.toLocaleString()} head rows): one GPU's ${minutes} min p50 ${pct(ms, 0.5)} ms, p99 ${pct(ms, 0.99)} ms (${n} rows a read), load ${load()}`)

  if (args.db === 'sqlite' && Number(args['rebuild-nodes']) > 0) await rebuildAt(target.url, Math.min(hosts, Number(args['rebuild-nodes'])))

  const steps: Array<{ ms: number, moved: number }> = []
  for (let i = 0; i < Number(args['compact-steps']); i++) {
    const t = performance.now()
    const r = await store.telemetry.compact({ before: T0 + minutes * 60_000, limit: 5000 })
    steps.push({ ms: performance.now() - t, moved: r.moved })
    if (!r.more) break
  }
  const moved = steps.reduce((a, s) => a + s.moved, 0)
  const nodes = moved / (gpus * 300)
  const total = steps.reduce((a, s) => a + s.ms, 0)
  console.log(`  compaction: ${steps.length} steps of 5,000 rows, ${moved.toLocaleString()} rows (${nodes.toFixed(0)} node-spans): ${(total / nodes).toFixed(1)} ms per node, step p50 ${pct(steps.map(s => s.ms), 0.5)} ms, load ${load()}`)
  await store.close()
  await target.cleanup()
  rmSync(dir, { recursive: true, force: true })
}

/** `nodes` nodes' first 5-minute bucket marked dirty and rebuilt: through the directory, then through the time key. */
async function rebuildAt (file: string, nodes: number): Promise<void> {
  const db = openSqliteDb(file)
  const sql = sqliteSqlDb(db)
  const built: Record<string, { ms: number, rows: string }> = {}
  for (const [name, history] of [['directory', createSqlGpuHistoryRepository(sql, SQLITE_NODE_ROWS_SQL)], ['time key', createSqlGpuHistoryRepository(sql)]] as const) {
    await sql.run('DELETE FROM gpu_history')
    await history.markDirty(Array.from({ length: nodes }, (_, n) => ({ nodeId: n + 1, bucketAt: T0 })))
    const t = performance.now()
    const done = await history.rebuildDirty(nodes)
    const ms = performance.now() - t
    if (done !== nodes) throw new Error(`rebuildDirty: ${done} of ${nodes} buckets`)
    built[name] = { ms, rows: JSON.stringify(await sql.all('SELECT * FROM gpu_history ORDER BY node_id, span_min, bucket_at, gpu_id')) }
  }
  db.close()
  const dir = built.directory!
  const key = built['time key']!
  if (dir.rows !== key.rows) throw new Error('rebuild: the directory\'s buckets differ from the time key\'s')
  console.log(`  late-data rebuild of ${nodes} node-buckets (5 min): through the directory ${(dir.ms / nodes).toFixed(2)} ms per node-bucket, ` +
    `through the time key ${(key.ms / nodes).toFixed(2)} ms (${(key.ms / dir.ms).toFixed(1)}×), the same buckets, load ${load()}`)
}

/** The same head on PostgreSQL: one push through the store first (it creates the day partitions). */
async function fillPostgres (url: string, hosts: number, store: Awaited<ReturnType<typeof openStore>>): Promise<number> {
  const gen = realisticGpu(1)
  await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'sim-1', samples: Array.from({ length: gpus }, (_, g) => gen(g, T0)) }])
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(`INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, power_draw_w, temp_c, memory_used_mb, memory_total_mb,
      utilization_pct, power_draw_avg_w, power_limit_w, sm_clock_mhz)
    SELECT h + 1, h % 2 + 1, g, ${T0} + (w * 10 + t) * 1000 + (h * 37) % 1000, 140 + (w * 7 + t * 3 + g) % 800 + 0.25, 35 + (w + h) % 40,
      20000 + (w * 13 + g) % 160000, 183359, (w + t + g) % 101, 600.5, 1000, 1965
    FROM generate_series(0, ${minutes * 6 - 1}) w, generate_series(0, ${hosts - 1}) h, generate_series(0, 9) t, generate_series(0, ${gpus - 1}) g
    ORDER BY w, h, t, g ON CONFLICT DO NOTHING`)
  await c.query(`INSERT INTO gpu_stats_latest (node_id, gpu_id, recorded_at)
    SELECT h + 1, g, ${T0} + (${minutes * 60} - 1) * 1000 + (h * 37) % 1000 FROM generate_series(0, ${hosts - 1}) h, generate_series(0, ${gpus - 1}) g
    ON CONFLICT (node_id, gpu_id) DO UPDATE SET recorded_at = excluded.recorded_at`)
  await c.query('VACUUM ANALYZE')
  const n = Number((await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM gpu_stats')).rows[0]!.n)
  await c.end()
  return n
}

/** The head as ingest lays it out, through a second connection; the rows written. */
function fill (file: string, hosts: number): number {
  const db = new DatabaseSync(file)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF')
  const seq = (name: string, n: number) => `${name} (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM ${name} WHERE i + 1 < ${n})`
  const at = `${T0} + (w.i * 10 + t.i) * 1000 + (h.i * 37) % 1000`
  db.exec(`WITH RECURSIVE ${seq('w', minutes * 6)}, ${seq('h', hosts)}, ${seq('t', 10)}, ${seq('g', gpus)}
    INSERT INTO gpu_stats (node_id, cluster_id, gpu_id, recorded_at, power_draw_w, temp_c, memory_used_mb, memory_total_mb,
      utilization_pct, power_draw_avg_w, power_limit_w, sm_clock_mhz)
    SELECT h.i + 1, h.i % 2 + 1, g.i, ${at}, 140 + (w.i * 7 + t.i * 3 + g.i) % 800 + 0.25, 35 + (w.i + h.i) % 40,
      20000 + (w.i * 13 + g.i) % 160000, 183359, (w.i + t.i + g.i) % 101, 600.5, 1000, 1965
    FROM w CROSS JOIN h CROSS JOIN t CROSS JOIN g;
    WITH RECURSIVE ${seq('h', hosts)}, ${seq('g', gpus)}
    INSERT INTO gpu_stats_latest (node_id, gpu_id, recorded_at)
    SELECT h.i + 1, g.i, ${T0} + (${minutes * 60} - 1) * 1000 + (h.i * 37) % 1000 FROM h CROSS JOIN g`)
  const hasDirectory = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'gpu_stats_dir'").get() !== undefined
  if (hasDirectory) {
    // One entry per push and minute, as ingest writes them (a push is a host's 10 s).
    db.exec(`INSERT INTO gpu_stats_dir (minute_at, node_id, first_id, last_id)
      SELECT recorded_at / 60000 * 60000, node_id, MIN(id), MAX(id) FROM gpu_stats
      GROUP BY node_id, (recorded_at - ${T0}) / 10000, recorded_at / 60000`)
  }
  const n = (db.prepare('SELECT COUNT(*) AS n FROM gpu_stats').get() as { n: number }).n
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
  return n
}

/** CPU ms per 1k GPU-rows through insertSamples: each host pushes 10 ticks every 10 s. */
async function ingestCpu (hosts: number, seconds: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-hour-ingest-'))
  const store = await openStore(join(dir, 'gpufleet.db'))
  const gens = Array.from({ length: hosts }, (_, h) => Array.from({ length: gpus }, (_, g) => realisticGpu(h * 1000 + g + 1)))
  let rows = 0
  let cpu = 0
  for (let s = 0; s < seconds; s++) {
    // A tenth of the hosts push each second (their last 10 ticks), as agents spread over 10 s.
    const batches: SampleBatch[] = []
    for (let h = s % 10; h < hosts; h += 10) {
      const samples = []
      for (let k = 9; k >= 0; k--) for (let g = 0; g < gpus; g++) samples.push(gens[h]![g]!(g, T0 + (s - k) * 1000 + (h * 37) % 1000))
      batches.push({ nodeId: h + 1, clusterId: (h % 2) + 1, hostname: `sim-${h + 1}`, samples })
      rows += samples.length
    }
    const c = process.cpuUsage()
    await store.telemetry.insertSamples(batches)
    const d = process.cpuUsage(c)
    cpu += (d.user + d.system) / 1000
  }
  console.log(`ingest: ${hosts} hosts × ${gpus} GPUs, ${seconds} s, pushes of 10 ticks: ${(cpu / (rows / 1000)).toFixed(2)} ms CPU per 1k GPU-rows (${rows.toLocaleString()} rows), load ${load()}`)
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
