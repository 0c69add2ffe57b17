/**
 * Disk per GPU-row of raw telemetry, raw (the head) and compacted (gpu_block), through the
 * real store: a generated fleet (hosts × GPUs, one group commit per second of plausible
 * readings, bench/realistic-gpu-readings.ts), then every settled row compacted.
 *
 *   node bench/telemetry-disk.ts [--hosts 20] [--gpus 8] [--seconds 1800] [--db sqlite|postgres]
 *     [--compact-after-min 70] [--reads 200] [--compact-limit 5000]
 *
 * Prints bytes per GPU-row by table and index (SQLite: dbstat pages, after a WAL checkpoint;
 * PostgreSQL: pg_total_relation_size over each table's partitions), both phases, and the
 * steady state: a share compactAfter / 7 d of the rows raw, the rest in blocks. Rollups are
 * listed apart (per minute and scope, not per row). Then p50/p99 of reading one GPU's hour
 * (store.telemetry.gpuHistory) before and after compaction, and the longest compaction step
 * (`--compact-limit` rows a step, the retention loop's 5000: one write transaction on SQLite).
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
import type { GpuSample, SampleBatch } from '../control-plane/store/telemetry-repository.ts'

const args = benchArgs({ hosts: '20', gpus: '8', seconds: '1800', db: 'sqlite', 'compact-after-min': '70', reads: '200', 'compact-limit': '5000' })
const hosts = Number(args.hosts)
const gpus = Number(args.gpus)
const seconds = Number(args.seconds)
const reads = Number(args.reads)
const DAY = 86_400_000
const T0 = Date.UTC(2026, 3, 26, 0, 0, 0)
const rows = hosts * gpus * seconds

const dir = mkdtempSync(join(tmpdir(), 'gpufleet-disk-'))
const target = await resolveDb(args.db)
const store = await openStore(target.url)

console.log(`telemetry-disk: ${hosts} hosts × ${gpus} GPUs × ${seconds} s = ${rows.toLocaleString()} GPU-rows, ${target.describe}, load ${loadavg().map(l => l.toFixed(1)).join(' ')}`)

const gens = Array.from({ length: hosts }, (_, h) => Array.from({ length: gpus }, (_, g) => realisticGpu(h * 1000 + g + 1)))
let ingestMs = 0
for (let s = 0; s < seconds; s++) {
  const batches: SampleBatch[] = []
  for (let h = 0; h < hosts; h++) {
    // Each agent ticks at its own millisecond, with a few ms of jitter.
    const at = T0 + s * 1000 + ((h * 37) % 1000) + (s * 7 + h) % 5
    const samples: GpuSample[] = gens[h]!.map((gen, g) => gen(g, at))
    batches.push({ nodeId: h + 1, clusterId: (h % 2) + 1, hostname: `sim-${h + 1}`, samples })
  }
  const t = performance.now()
  await store.telemetry.insertSamples(batches)
  ingestMs += performance.now() - t
}
console.log(`ingested in ${(ingestMs / 1000).toFixed(1)} s (${Math.round(rows / (ingestMs / 1000)).toLocaleString()} rows/s)`)

const readHour = async () => {
  const ms: number[] = []
  const span = Math.min(seconds, 3600) * 1000
  let n = 0
  for (let i = 0; i < reads; i++) {
    const node = 1 + (i * 7919) % hosts
    const t = performance.now()
    n = (await store.telemetry.gpuHistory(node, i % gpus, T0, T0 + span)).length
    ms.push(performance.now() - t)
  }
  ms.sort((a, b) => a - b)
  return `p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(2)} ms, p99 ${ms[Math.floor(ms.length * 0.99)]!.toFixed(2)} ms (${n} rows a read)`
}

const before = await sizes()
console.log(`\nraw (head): one GPU's ${Math.min(seconds, 3600) / 60} min: ${await readHour()}`)
print(before)

let moved = 0
let steps = 0
let longest = { ms: 0, moved: 0 }
const tc = performance.now()
for (;;) {
  const ts = performance.now()
  const r = await store.telemetry.compact({ before: T0 + seconds * 1000 + 3_600_000, limit: Number(args['compact-limit']) })
  const ms = performance.now() - ts
  if (ms > longest.ms) longest = { ms, moved: r.moved }
  moved += r.moved
  steps++
  if (!r.more) break
}
const compactMs = performance.now() - tc
console.log(`\ncompacted ${moved.toLocaleString()} rows and seconds in ${(compactMs / 1000).toFixed(1)} s (${Math.round(rows / (compactMs / 1000)).toLocaleString()} GPU-rows/s)`)
console.log(`${steps} steps of --compact-limit ${args['compact-limit']}: longest ${longest.ms.toFixed(0)} ms (${longest.moved.toLocaleString()} rows), load ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
const after = await sizes()
console.log(`compacted: one GPU's ${Math.min(seconds, 3600) / 60} min: ${await readHour()}`)
print(after)
if (await store.telemetry.countSamples() !== rows) throw new Error(`countSamples ${await store.telemetry.countSamples()} ≠ ${rows}`)

const RAW = ['gpu_stats', 'gpu_power_second']
const BLOCK = ['gpu_block', 'gpu_power_block']
const sum = (m: Map<string, number>, tables: string[]) => [...m].filter(([k]) => tables.some(t => k === t || k.startsWith(`${t} `))).reduce((a, [, v]) => a + v, 0)
const head = sum(before, RAW) / rows
const block = sum(after, BLOCK) / Math.max(1, rows - countHeadLeft(after))
const share = Number(args['compact-after-min']) * 60_000 / (7 * DAY)
console.log(`\nper GPU-row: raw ${head.toFixed(1)} B, compacted ${block.toFixed(2)} B; steady state (${(share * 100).toFixed(2)} % raw at --telemetry-compact-after ${args['compact-after-min']}m, 7 d retention): ${(head * share + block * (1 - share)).toFixed(2)} B`)

await store.close()
await target.cleanup()
rmSync(dir, { recursive: true, force: true })

function countHeadLeft (_m: Map<string, number>): number { return hosts * gpus } // the latest row per GPU stays raw

function print (m: Map<string, number>): void {
  for (const [name, bytes] of [...m].sort((a, b) => b[1] - a[1])) {
    if (bytes > 0) console.log(`  ${name.padEnd(40)} ${(bytes / 1024).toFixed(0).padStart(9)} KiB ${(bytes / rows).toFixed(2).padStart(8)} B/row`)
  }
}

/** Bytes per table and index (index names as "table index"), telemetry tables only. */
async function sizes (): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (target.kind === 'sqlite') {
    const db = new DatabaseSync(target.url)
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
    const owner = new Map((db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as Array<{ name: string, tbl_name: string }>).map(r => [r.name, r.tbl_name]))
    for (const r of db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as Array<{ name: string, bytes: number }>) {
      const table = owner.get(r.name) ?? r.name
      if (!table.startsWith('gpu_')) continue
      out.set(table === r.name ? table : `${table} ${r.name}`, r.bytes)
    }
    const pages = db.prepare('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS n, (SELECT page_size FROM pragma_page_size()) AS size').get() as { n: number, size: number }
    console.log(`  (database: ${((pages.n * pages.size) / 2 ** 20).toFixed(1)} MiB in use)`)
    db.close()
  } else {
    const c = new pg.Client({ connectionString: target.url })
    await c.connect()
    await c.query('VACUUM ANALYZE')
    const r = await c.query<{ parent: string, name: string, heap: string, idx: string }>(`
      SELECT COALESCE(p.relname, c.relname) AS parent, c.relname AS name,
        pg_table_size(c.oid) AS heap, pg_indexes_size(c.oid) AS idx
      FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
      WHERE c.relkind = 'r' AND c.relname LIKE 'gpu\\_%'`)
    for (const row of r.rows) {
      out.set(row.parent, (out.get(row.parent) ?? 0) + Number(row.heap))
      out.set(`${row.parent} (indexes)`, (out.get(`${row.parent} (indexes)`) ?? 0) + Number(row.idx))
    }
    await c.end()
  }
  return out
}

async function resolveDb (spec: string): Promise<{ kind: 'sqlite' | 'postgres', url: string, describe: string, cleanup: () => Promise<void> }> {
  if (spec === 'sqlite') return { kind: 'sqlite', url: join(dir, 'gpufleet.db'), describe: 'SQLite (WAL file)', cleanup: async () => {} }
  if (spec !== 'postgres') throw new Error(`--db: expected sqlite or postgres, got ${spec}`)
  return { kind: 'postgres', ...await throwawayPostgresDb('disk') }
}
