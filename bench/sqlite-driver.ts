/**
 * node:sqlite vs better-sqlite3 on this machine, for the control plane's workload shapes:
 *   - an agent push: one 8-row transaction (8 GPUs, one sample each), file-backed, WAL
 *   - a bulk/replay write: one 1000-row transaction
 *   - the auth hot path: a point lookup by a UNIQUE-indexed SHA-256 hash
 *   - a power-history aggregate: MAX per 5-minute bucket of the per-sample 8-GPU sum
 * Same schema, same pragmas as control-plane/store/sqlite/sqlite-db.ts, prepared statements
 * in both. Each figure is the median of ROUNDS timed rounds, drivers alternating, so
 * neither always runs on a warmer machine. Run: node bench/sqlite-driver.ts [--ms 1000]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'

interface Stmt {
  run: (...params: Array<number | string | null>) => unknown
  get: (...params: Array<number | string | null>) => unknown
  all: (...params: Array<number | string | null>) => unknown[]
}
interface Driver {
  name: string
  version: string
  exec: (sql: string) => void
  prepare: (sql: string) => Stmt
  tx: (fn: () => void) => void
  close: () => void
}

const PRAGMAS = `
  PRAGMA journal_mode = WAL;
  PRAGMA synchronous = NORMAL;
  PRAGMA foreign_keys = ON;
  PRAGMA busy_timeout = 5000;
  PRAGMA temp_store = MEMORY;`

function openNodeSqlite (path: string): Driver {
  const db = new DatabaseSync(path)
  db.exec(PRAGMAS)
  return {
    name: 'node:sqlite',
    version: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    exec: sql => db.exec(sql),
    prepare: sql => db.prepare(sql) as unknown as Stmt,
    // What sqlite-db.ts does: node:sqlite has no transaction helper.
    tx (fn) {
      db.exec('BEGIN IMMEDIATE')
      try { fn(); db.exec('COMMIT') } catch (err) { db.exec('ROLLBACK'); throw err }
    },
    close: () => db.close(),
  }
}

interface BetterDb {
  exec: (sql: string) => void
  prepare: (sql: string) => Stmt
  transaction: (fn: () => void) => { immediate: () => void }
  close: () => void
}

function openBetterSqlite (path: string): Driver {
  // Not a dependency (a native addon the pinned Node 24 can't load when CI's npm builds it
  // against the machine's Node 20): install it for this measurement with
  // `npm i --no-save better-sqlite3`. Only the calls used here are declared.
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BetterDb
  const db = new Database(path)
  db.exec(PRAGMAS)
  const txs = new WeakMap<() => void, { immediate: () => void }>()
  return {
    name: 'better-sqlite3',
    version: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    exec: sql => db.exec(sql),
    prepare: sql => db.prepare(sql),
    tx (fn) {
      let t = txs.get(fn)
      if (t === undefined) { t = db.transaction(fn); txs.set(fn, t) }
      t.immediate()
    },
    close: () => db.close(),
  }
}

const SCHEMA = `
  CREATE TABLE gpu_stats (
    node_id INTEGER NOT NULL, gpu_id INTEGER NOT NULL, recorded_at INTEGER NOT NULL,
    power_draw_w REAL, temp_c REAL, memory_used_mb INTEGER, memory_total_mb INTEGER, utilization_pct REAL,
    PRIMARY KEY (node_id, gpu_id, recorded_at)
  ) WITHOUT ROWID;
  CREATE INDEX gpu_stats_time ON gpu_stats (recorded_at);
  CREATE TABLE api_keys (id INTEGER PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, permissions TEXT NOT NULL, revoked_at INTEGER);`

const INSERT = `INSERT INTO gpu_stats (node_id, gpu_id, recorded_at, power_draw_w, temp_c, memory_used_mb, memory_total_mb, utilization_pct)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
const LOOKUP = 'SELECT id, permissions FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL'
const AGGREGATE = `SELECT (recorded_at / 300000) * 300000 AS bucket, MAX(total) AS max_w FROM (
    SELECT recorded_at, SUM(power_draw_w) AS total FROM gpu_stats
    WHERE node_id = 1 AND recorded_at >= ? AND recorded_at < ? GROUP BY recorded_at
  ) GROUP BY bucket ORDER BY bucket`

const KEYS = 10_000
const AGG_WINDOW_MS = 6 * 3600_000
const T0 = Date.UTC(2026, 0, 1)

interface Workload { name: string, unit: string, perOp: number, op: (d: Driver, st: State) => void }
interface State { insert: Stmt, lookup: Stmt, aggregate: Stmt, nextTs: Map<number, number>, i: number }

function row (s: Stmt, node: number, gpu: number, ts: number) {
  s.run(node, gpu, ts, 240 + ((ts / 1000 + gpu) % 700), 40 + gpu, 170_000, 183_359, (ts / 1000) % 100)
}

// Each writer node has its own clock so rows never collide (every insert really inserts),
// starting after the aggregate's window so writes never grow the range it reads.
function samples (st: State, node: number, n: number, fn: (gpu: number, ts: number) => void) {
  let ts = st.nextTs.get(node) ?? T0 + 2 * 86_400_000
  for (let k = 0; k < n; k++) {
    fn(k % 8, ts)
    if (k % 8 === 7) ts += 1000
  }
  st.nextTs.set(node, ts)
}

const WORKLOADS: Workload[] = [
  {
    name: 'insert, 8-row tx (one agent push)', unit: 'tx/s', perOp: 8,
    op: (d, st) => d.tx(() => samples(st, 2, 8, (g, ts) => row(st.insert, 2, g, ts))),
  },
  {
    name: 'insert, 1000-row tx (bulk/replay)', unit: 'tx/s', perOp: 1000,
    op: (d, st) => d.tx(() => samples(st, 3, 1000, (g, ts) => row(st.insert, 3, g, ts))),
  },
  {
    name: 'point lookup by indexed hash', unit: 'ops/s', perOp: 1,
    op: (_d, st) => { st.lookup.get(keyHash(st.i++ % KEYS)) },
  },
  {
    name: 'aggregate, 6 h x 8 GPUs (172,800 rows)', unit: 'ops/s', perOp: 1,
    op: (_d, st) => { st.aggregate.all(T0, T0 + AGG_WINDOW_MS) },
  },
]

const hashes: string[] = []
function keyHash (i: number): string {
  return (hashes[i] ??= createHash('sha256').update(`gfk_${i}`).digest('hex'))
}

function setup (d: Driver): State {
  d.exec(SCHEMA)
  const insert = d.prepare(INSERT)
  // Node 1: 24 h of 8 GPUs at 1 Hz (691,200 rows) for the aggregate.
  for (let h = 0; h < 24; h++) {
    d.tx(() => {
      for (let s = 0; s < 3600; s++) for (let g = 0; g < 8; g++) row(insert, 1, g, T0 + (h * 3600 + s) * 1000)
    })
  }
  const key = d.prepare('INSERT INTO api_keys (key_hash, permissions) VALUES (?, ?)')
  d.tx(() => { for (let i = 0; i < KEYS; i++) key.run(keyHash(i), '["read","write"]') })
  d.exec('ANALYZE')
  return { insert, lookup: d.prepare(LOOKUP), aggregate: d.prepare(AGGREGATE), nextTs: new Map(), i: 0 }
}

function timeRound (d: Driver, st: State, w: Workload, ms: number): number {
  const start = performance.now()
  let ops = 0
  let now = start
  while (now - start < ms) {
    w.op(d, st)
    ops++
    now = performance.now()
  }
  return ops / ((now - start) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const fmt = (n: number) => n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')

function main () {
  const msArg = process.argv.indexOf('--ms')
  const roundMs = msArg > 0 ? Number(process.argv[msArg + 1]) : 1000
  const ROUNDS = 5
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-sqlite-'))
  try {
    let better: Driver
    try {
      better = openBetterSqlite(join(dir, 'better.db'))
    } catch (err) {
      console.error(`better-sqlite3 is not installed or does not load under ${process.version} (${(err as Error).message.split('\n')[0]}); run \`npm i --no-save better-sqlite3\` first.`)
      process.exit(1)
    }
    const drivers = [openNodeSqlite(join(dir, 'node.db')), better]
    const states = drivers.map(setup)
    console.log(`sqlite driver benchmark — Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), file-backed WAL, synchronous=NORMAL`)
    console.log(`SQLite: ${drivers.map(d => `${d.name} ${d.version}`).join(', ')}; median of ${ROUNDS} rounds of ${roundMs} ms, drivers alternating`)
    // Shared machines skew absolute figures; the ratio (same rounds, alternating) is the finding.
    console.log(`load average at start: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
    console.log('')
    const header = ['workload', 'node:sqlite', 'better-sqlite3', 'node/better']
    const rows: string[][] = []
    for (const w of WORKLOADS) {
      const results: number[][] = drivers.map(() => [])
      drivers.forEach((d, i) => timeRound(d, states[i]!, w, Math.min(200, roundMs))) // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? [0, 1] : [1, 0]
        for (const i of order) results[i]!.push(timeRound(drivers[i]!, states[i]!, w, roundMs))
      }
      const [n, b] = results.map(median) as [number, number]
      const rowsNote = w.perOp > 1 ? ` (${fmt(n * w.perOp)} / ${fmt(b * w.perOp)} rows/s)` : ''
      rows.push([`${w.name}${rowsNote}`, `${fmt(n)} ${w.unit}`, `${fmt(b)} ${w.unit}`, (n / b).toFixed(2)])
    }
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map(r => r[c]!.length)))
    const line = (r: string[]) => r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join('  ')
    console.log(line(header))
    for (const r of rows) console.log(line(r))
    for (const d of drivers) d.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
