/**
 * What one raw GPU-row costs SQLite through node:sqlite, apart from gpufleet's own code: the
 * floor under the telemetry writer's per-row CPU (issue 18). 1,000 hosts × 80 rows a push
 * (10 ticks × 8 GPUs), 32 pushes per transaction, 6 rounds, WAL and synchronous=NORMAL as the
 * store runs, CPU per row of the calling thread:
 * - `keyed`: gpu_stats' shape (4 keys + 15 readings) with its unique (recorded_at, node_id,
 *   gpu_id) index, at 1, 8, 32 and 80 rows per INSERT statement;
 * - `no key`: the same without the index; `5 readings`: 4 keys + 5 readings, no index;
 * - `blob per push`: one row per push holding its 80 rows as 15 doubles each (what an
 *   append-packed head would write), building the block included.
 *
 *   node bench/sqlite-row-cost.ts
 */
import { DatabaseSync } from 'node:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const T0 = Date.UTC(2026, 3, 26)
const PUSH_ROWS = 80
const dir = mkdtempSync(join(tmpdir(), 'gpufleet-row-cost-'))

function run (label: string, opts: { readings: number, keyed: boolean, perStatement: number, blob?: boolean }): void {
  const path = join(dir, `${label.replace(/\W+/g, '-')}.db`)
  const db = new DatabaseSync(path)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
  const cols = ['node_id', 'cluster_id', 'gpu_id', 'recorded_at', ...Array.from({ length: opts.readings }, (_, i) => `r${i}`)]
  db.exec(`CREATE TABLE raw (id INTEGER PRIMARY KEY, ${cols.map(c => `${c} REAL`).join(', ')})`)
  if (opts.keyed) db.exec('CREATE UNIQUE INDEX raw_key ON raw (recorded_at, node_id, gpu_id)')
  db.exec('CREATE TABLE packed (id INTEGER PRIMARY KEY, node_id INTEGER, first_at INTEGER, last_at INTEGER, block BLOB)')
  const n = opts.perStatement
  const insert = db.prepare(`INSERT OR IGNORE INTO raw (${cols.join(', ')}) VALUES ${Array.from({ length: n }, () => `(${cols.map(() => '?').join(', ')})`).join(', ')}`)
  const insertBlock = db.prepare('INSERT INTO packed (node_id, first_at, last_at, block) VALUES (?, ?, ?, ?)')
  const params: number[] = new Array(n * cols.length)
  let cpu = 0
  let rows = 0
  for (let round = 0; round < 6; round++) {
    for (let first = 0; first < 1000; first += 32) {
      const started = process.cpuUsage()
      db.exec('BEGIN IMMEDIATE')
      for (let h = first; h < first + 32; h++) {
        const at = T0 + round * 10_000
        if (opts.blob === true) {
          const block = new Float64Array(PUSH_ROWS * opts.readings)
          for (let i = 0; i < block.length; i++) block[i] = 600 + (i % 15) + ((h * i) % 100) + 0.25
          insertBlock.run(h, at, at + 9000, new Uint8Array(block.buffer))
          rows += PUSH_ROWS
          continue
        }
        for (let r0 = 0; r0 < PUSH_ROWS; r0 += n) {
          let i = 0
          for (let r = r0; r < r0 + n; r++) {
            params[i++] = h
            params[i++] = h % 4
            params[i++] = r % 8
            params[i++] = at + Math.floor(r / 8) * 1000
            for (let j = 0; j < opts.readings; j++) params[i++] = 600 + j + ((h * r) % 100) + 0.25
          }
          insert.run(...params)
          rows += n
        }
      }
      db.exec('COMMIT')
      const d = process.cpuUsage(started)
      cpu += d.user + d.system
    }
  }
  db.close()
  console.log(`  ${label.padEnd(34)} ${(cpu / rows).toFixed(2)} µs CPU per GPU-row`)
}

console.log('SQLite (node:sqlite) per GPU-row, 1,000 hosts × 80-row pushes, 32 pushes a transaction:')
for (const n of [1, 8, 32, 80]) run(`keyed, ${n} rows a statement`, { readings: 15, keyed: true, perStatement: n })
run('no key, 16 rows a statement', { readings: 15, keyed: false, perStatement: 16 })
run('5 readings, no key, 16 rows', { readings: 5, keyed: false, perStatement: 16 })
run('blob per push', { readings: 15, keyed: false, perStatement: 1, blob: true })
rmSync(dir, { recursive: true, force: true })
