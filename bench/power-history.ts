/**
 * Power history over a generated 7-day, 8-GPU, 1 Hz history (≈ 4.8 M raw rows) in a real
 * SQLite file: `days=7, bucket_minutes=5` and `days=30` timed through the real query path
 * (GET /api/gpu-stats/power-history on the telemetry router, in-process app.request), each
 * against a naive GROUP BY over the raw rows measured in the same run, whose answer must match.
 *
 * The history is written through the store's own insert path (big transactions of one hour
 * of samples each), so the rollups are the ones ingest builds. The naive baseline runs on a
 * second, read-only connection: it is a measurement, not product SQL.
 *
 *   node bench/power-history.ts [--days-of-data 7] [--runs 50] [--naive-runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from './bench-args.ts'
import { DatabaseSync } from 'node:sqlite'
import { Hono } from 'hono'
import { openSqliteStore } from '../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample } from '../control-plane/store/telemetry-repository.ts'
import { createTelemetryRouter } from '../control-plane/telemetry/create-telemetry-router.ts'
import type { RequireScope } from '../control-plane/http/cp-env.ts'
import { createOnError } from '../shared/on-error.ts'
import { ms, pct, time } from './timings.ts'

const args = benchArgs({ 'days-of-data': '7', runs: '50', 'naive-runs': '3', keep: false })
const MIN = 60_000
const DAY = 86_400_000
const GPUS = 8
const daysOfData = Number(args['days-of-data'])
const runs = Number(args.runs)
const naiveRuns = Number(args['naive-runs'])

const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-power-'))
const dbPath = join(dir, 'gpufleet.db')
const store = await openSqliteStore(dbPath)
const now = Math.floor(Date.now() / 1000) * 1000
const first = now - daysOfData * DAY

// A busy 8×B200 host: idle ~250 W, jobs at 600-1000 W for hours, brief per-GPU spikes.
let seed = 42
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
function power (g: number, t: number): number {
  const hour = Math.floor(t / 3_600_000)
  const busy = (hour * 7 + g) % 5 < 3
  const base = busy ? 600 + ((hour * 13 + g * 17) % 400) : 240 + ((g * 3) % 20)
  return Math.round((base + rand() * 30 + (rand() < 0.002 ? 150 : 0)) * 10) / 10
}
function row (g: number, t: number): GpuSample {
  const p = power(g, t)
  return {
    gpuId: g, recordedAt: t, name: 'NVIDIA B200', uuid: `GPU-bench-${g}`, pciBusId: null, powerDrawW: p,
    tempC: 35 + Math.round(p / 25), memoryUsedMb: 120_000, memoryTotalMb: 183_359, utilizationPct: p > 500 ? 90 : 0,
    powerDrawAvgW: null, powerLimitW: 1000, memoryTempC: null, memoryReservedMb: null, memoryUtilizationPct: null,
    smClockMhz: null, memClockMhz: null, eccErrorsCorrected: null, eccErrorsUncorrected: null, pstate: null,
  }
}

const genStart = performance.now()
const HOUR_TICKS = 3600
for (let t = first; t < now; t += HOUR_TICKS * 1000) {
  const samples: GpuSample[] = []
  for (let s = t; s < Math.min(now, t + HOUR_TICKS * 1000); s += 1000) for (let g = 0; g < GPUS; g++) samples.push(row(g, s))
  await store.telemetry.insertSamples([{ nodeId: 1, clusterId: 1, hostname: 'bench-node', samples }])
}
const genSeconds = (performance.now() - genStart) / 1000
const rawRows = await store.telemetry.countSamples()

const requireScope: RequireScope = () => async (_c, next) => { await next() }
const app = new Hono()
app.onError(createOnError({ error: (o, m) => console.error(m, o) }))
app.route('/', createTelemetryRouter({
  store, requireScope, now: () => now, log: { warn: () => {}, error: (o, m) => console.error(m, o) },
  resolveNode: async () => ({ nodeId: 1, clusterId: 1 }),
}))

interface Point { recorded_at: string, power_draw_w: number }
async function ours (days: number, bucket: number): Promise<Point[]> {
  const res = await app.request(`/api/gpu-stats/power-history?days=${days}&bucket_minutes=${bucket}`)
  if (res.status !== 200) throw new Error(`power-history answered ${res.status}: ${await res.text()}`)
  return ((await res.json()) as { points: Point[] }).points
}

// The naive way, seed 000's words: the sum over the GPUs at each recorded_at, MAX per bucket,
// straight from the raw rows, no rollups.
const naiveDb = new DatabaseSync(dbPath, { readOnly: true })
const naiveSql = naiveDb.prepare(`
  SELECT (at / ?1) * ?1 AS bucket, MAX(s) AS p
  FROM (SELECT recorded_at AS at, SUM(power_draw_w) AS s FROM gpu_stats
        WHERE recorded_at >= ?2 AND recorded_at < ?3 GROUP BY recorded_at)
  GROUP BY bucket ORDER BY bucket`)
function naive (days: number, bucket: number): Point[] {
  const from = Math.floor((now - days * DAY) / MIN) * MIN
  const to = Math.floor(now / MIN) * MIN + MIN
  const rows = naiveSql.all(BigInt(bucket * MIN), from, to) as Array<{ bucket: number, p: number }>
  return rows.map(r => ({ recorded_at: new Date(r.bucket).toISOString().replace('.000Z', '+00:00'), power_draw_w: Math.round(r.p * 1000) / 1000 }))
}


console.log(`power-history bench: ${daysOfData} days × ${GPUS} GPUs × 1 Hz = ${rawRows.toLocaleString('en-US')} raw rows, SQLite WAL file (node:sqlite)`)
console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
console.log(`  generated in ${genSeconds.toFixed(1)} s through the ingest store path (${Math.round(rawRows / genSeconds).toLocaleString('en-US')} rows/s, rollups included)`)
for (const [days, bucket, target] of [[7, 5, 20], [30, 5, 50]] as const) {
  await time(() => ours(days, bucket), 5) // warm-up: JIT, page cache
  const a = await ours(days, bucket)
  const b = naive(days, bucket)
  const same = a.length === b.length && a.every((p, i) => p.recorded_at === b[i]!.recorded_at && Math.abs(p.power_draw_w - b[i]!.power_draw_w) < 1e-6)
  const t = await time(() => ours(days, bucket), runs)
  const n = await time(() => naive(days, bucket), naiveRuns)
  console.log(`  days=${days} bucket_minutes=${bucket}: ${a.length} points, same answer as the naive GROUP BY: ${same ? 'yes' : 'NO'}`)
  console.log(`    rollups (HTTP route, ${runs} runs)   p50 ${ms(pct(t, 0.5))} ms   p95 ${ms(pct(t, 0.95))} ms   (target p50 < ${target} ms)`)
  console.log(`    naive GROUP BY (${naiveRuns} runs)      p50 ${ms(pct(n, 0.5))} ms   p95 ${ms(pct(n, 0.95))} ms`)
  console.log(`    ratio naive/rollups at p50: ${Math.round(pct(n, 0.5) / pct(t, 0.5)).toLocaleString('en-US')}×`)
}

naiveDb.close()
await store.close()
if (!args.keep) rmSync(dir, { recursive: true, force: true })
else console.log(`  kept ${dbPath}`)
