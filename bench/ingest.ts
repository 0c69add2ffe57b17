/**
 * Ingest throughput: POST /api/gpu-stats (group commit, real SQLite file in WAL mode in a
 * temp dir) served by @hono/node-server on 127.0.0.1:0, driven by a SEPARATE load process
 * (bench/ingest-load.ts: N agents × 8 GPUs at 1 Hz over keep-alive). Afterwards the rows in
 * the database are counted and compared with the rows the server acknowledged.
 *
 * Default: the telemetry router alone, with bench stand-ins for auth and node lookup, so the
 * figures are telemetry's own. --full: the whole control plane as shipped (auth against the
 * store, the fleet registry's resolveNode/onIngested). See bench/ingest-server.ts. Retention
 * runs as in production (nothing is old enough to prune).
 *
 * --checkpoint inline: WAL checkpoints in the committing call, as SQLite does by default,
 * instead of on the store's checkpoint thread (telemetry-only server; to compare the two).
 *
 * --parse-workers N: the telemetry router's parse worker threads (0: parse on the event loop,
 * as before they existed; default os.availableParallelism()). --ticks N: the agent's batch
 * form, each agent pushing N seconds of ticks every N seconds (N × 8 rows a push), as an agent
 * batches when its pushes lag or replays its spool.
 *
 *   node bench/ingest.ts [--full] [--seconds 60] [--warmup 5] [--agents 5000] [--connections 256] [--window-ms 2] [--checkpoint thread|inline] [--trace]
 * --agent-form: each agent as the agent's live sender, one request in flight, the ticks due
 * meanwhile going together in its next push (so a server that lags gets fewer, larger pushes,
 * as from a real fleet); latency from schedule is then from a push's oldest tick: how stale the
 * control plane's view of a host gets. Prints the ticks per push.
 *
 *     [--parse-workers N] [--ticks 1] [--agent-form]
 *     [--db postgres://…]   (an EMPTY PostgreSQL database instead of a temp SQLite file)
 *   (GPUFLEET_BENCH_SECONDS sets the default duration, for quick runs)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { benchArgs } from './bench-args.ts'
import { monitorEventLoopDelay, PerformanceObserver, performance as perf } from 'node:perf_hooks'
import { startFullControlPlane, startTelemetryOnly } from './ingest-server.ts'
import { isPostgresUrl, redactDb } from '../control-plane/store/open-store.ts'

const args = benchArgs({
  seconds: process.env.GPUFLEET_BENCH_SECONDS ?? '60',
  agents: '5000',
  connections: '256',
  'window-ms': '2',
  warmup: '5',
  keep: false,
  trace: false,
  full: false,
  checkpoint: 'thread',
  db: undefined,
  'parse-workers': undefined,
  ticks: '1',
  'agent-form': false,
})
if (args['agent-form'] && args.ticks !== '1') throw new Error('--agent-form pushes each tick when due, or with the next push: leave --ticks at 1')

const loadBefore = loadavg()
const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-ingest-'))
const dbPath = args.db ?? join(dir, 'gpufleet.db')
const engine = isPostgresUrl(dbPath) ? 'PostgreSQL (pg pool)' : 'SQLite WAL file (node:sqlite)'
if (args.checkpoint !== 'thread' && args.checkpoint !== 'inline') throw new Error('--checkpoint is thread or inline')
const bench = args.full ? await startFullControlPlane(dbPath) : await startTelemetryOnly(dbPath, Number(args['window-ms']), args.checkpoint, args['parse-workers'] === undefined ? undefined : Number(args['parse-workers']))
const { url, key, registry } = bench

const child = spawn(process.execPath, [
  join(import.meta.dirname, 'ingest-load.ts'), '--url', url, '--key', key,
  '--agents', args.agents, '--ticks', args.ticks, '--seconds', args.seconds, '--connections', args.connections, '--warmup', args.warmup,
  ...(args['agent-form'] ? ['--agent-form'] : []),
], { stdio: ['ignore', 'pipe', 'inherit'] })

const loopDelay = monitorEventLoopDelay({ resolution: 5 })
// GC pauses on the server's thread during the measured seconds (a tail that grows with run
// length can be the old generation filling up).
const gc = { n: 0, ms: 0, max: 0, on: false }
new PerformanceObserver(list => {
  if (!gc.on) return
  for (const e of list.getEntries()) { gc.n++; gc.ms += e.duration; gc.max = Math.max(gc.max, e.duration) }
}).observe({ entryTypes: ['gc'] })
// --trace: per second, how busy the server's event loop was (1.0 = saturated).
let traceTimer: NodeJS.Timeout | undefined
const trace: string[] = []
function startTrace () {
  let last = perf.eventLoopUtilization()
  traceTimer = setInterval(() => {
    const now = perf.eventLoopUtilization()
    trace.push(perf.eventLoopUtilization(now, last).utilization.toFixed(2))
    last = now
  }, 1000)
}
let cpuStart = process.cpuUsage()
// The event loop's own thread (the server's bottleneck: what it spends per push bounds the rate
// one core can take); process CPU also counts the checkpoint thread and libuv's.
let threadStart = process.threadCpuUsage()
let threadUsed = { user: 0, system: 0 }
let wallStart = performance.now()
let cpuUsed = { user: 0, system: 0 }
let wallUsed = 0
let load: Record<string, unknown> = {}
for await (const line of createInterface({ input: child.stdout })) {
  const msg = JSON.parse(line) as { event: string } & Record<string, unknown>
  if (msg.event === 'start') {
    cpuStart = process.cpuUsage()
    threadStart = process.threadCpuUsage()
    wallStart = performance.now()
    loopDelay.enable()
    gc.on = true
    if (args.trace) startTrace()
  } else if (msg.event === 'done') {
    cpuUsed = process.cpuUsage(cpuStart)
    threadUsed = process.threadCpuUsage(threadStart)
    wallUsed = (performance.now() - wallStart) / 1000
    loopDelay.disable()
    gc.on = false
    if (traceTimer !== undefined) clearInterval(traceTimer)
    load = msg
  }
}

if (load.event !== 'done') {
  console.error('the load process ended without a result')
  process.exit(1)
}
const stored = await bench.telemetry.countSamples()
const metric = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values ?? []
const commitRows = await metric('gpufleet_cp_telemetry_group_commit_rows')
const commitReqs = await metric('gpufleet_cp_telemetry_group_commit_requests')
const commits = commitRows.find(v => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? 0
const rowsCommitted = commitRows.find(v => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0
const reqsCommitted = commitReqs.find(v => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0

// Commit durations from the histogram: the share of transactions at or under each bound.
const commitSeconds = (await metric('gpufleet_cp_telemetry_commit_duration_seconds'))
  .filter(v => (v as { metricName?: string }).metricName?.endsWith('_bucket') && v.labels.result === 'ok')
const commitTotal = commitSeconds.find(v => v.labels.le === '+Inf')?.value ?? 0
const commitShares = commitSeconds.filter(v => v.labels.le !== '+Inf' && Number(v.labels.le) >= 0.005)
  .map(v => `≤${Number(v.labels.le) * 1000} ms ${(v.value / Math.max(1, commitTotal) * 100).toFixed(1)}%`).join(', ')
const checkpointSeconds = await metric('gpufleet_cp_store_checkpoint_duration_seconds')
const sumOf = (vs: typeof checkpointSeconds, suffix: string) => vs.find(v => (v as { metricName?: string }).metricName?.endsWith(suffix))?.value ?? 0
const checkpoints = sumOf(checkpointSeconds, '_count')
const walFrames = (await metric('gpufleet_cp_store_wal_frames'))[0]?.value ?? 0
const seconds = Number(load.seconds)
const pushesOk = Number(load.pushes_ok)
const acked = Number(load.accepted_rows)
const cpuS = (cpuUsed.user + cpuUsed.system) / 1e6
const threadS = (threadUsed.user + threadUsed.system) / 1e6
const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
console.log(`ingest bench: ${args.agents} agents × 8 GPUs at 1 Hz${args.ticks === '1' ? '' : ` (pushing ${args.ticks} ticks every ${args.ticks} s)`}, ${seconds} s measured after ${args.warmup} s warm-up, ${args.connections} keep-alive connections, group-commit window ${args['window-ms']} ms`)
console.log(`  server: ${bench.describe}; @hono/node-server, ${engine}`)
const fmtLoad = (l: number[]) => l.map(x => x.toFixed(1)).join(' ')
console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average (1/5/15 min) before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadavg())}`)
// Ticks (8 rows each) per push: --ticks, or what agent-form batching came to.
const ticksPerPush = args['agent-form'] ? Number(load.ticks_per_push_mean ?? 1) : Number(args.ticks)
console.log(`  pushes/s        ${f(pushesOk / seconds)}   (target ≥ 5,000)`)
console.log(`  samples/s       ${f(pushesOk * 8 * ticksPerPush / seconds)}   (target ≥ 40,000)`)
console.log(`  latency issue→ack       p50 ${load.p50_ms} ms   p90 ${load.p90_ms} ms   p99 ${load.p99_ms} ms   max ${load.max_ms} ms   (target p99 < 50 ms)`)
if (args['agent-form']) console.log(`  agent form: one push in flight per agent, ${load.ticks_per_push_mean} ticks per push on average; from schedule = from a push's oldest tick`)
console.log(`  latency scheduled→ack   p50 ${load.p50_from_schedule_ms} ms   p99 ${load.p99_from_schedule_ms} ms   (generator: max send lag ${f(Number(load.generator_max_lag_ms), 1)} ms, event-loop delay max ${load.generator_loop_delay_max_ms} ms)`)
console.log(`  worst latency per measured second (ms): ${(load.worst_ms_per_second as number[]).join(' ')}`)
console.log(`  statuses ${JSON.stringify(load.statuses)}   transport errors ${load.errors}`)
console.log(`  rows acknowledged ${f(acked)}   rows stored ${f(stored)}   ${acked === stored ? 'MATCH' : 'MISMATCH'}   (whole run, ${f(Number(load.pushes_ok_total))} pushes incl. warm-up)`)
console.log(`  group commit: ${f(commits)} transactions, ${f(rowsCommitted / Math.max(1, commits), 1)} rows and ${f(reqsCommitted / Math.max(1, commits), 1)} requests each`)
if (args.trace) console.log(`  server event-loop utilization per second: ${trace.join(' ')}`)
console.log(`  commit time (whole run): ${commitShares}`)
if (checkpoints > 0) console.log(`  checkpoint thread: ${f(checkpoints)} checkpoints, ${f(sumOf(checkpointSeconds, '_sum') / checkpoints * 1000, 1)} ms each on average; WAL ${f(walFrames * 4 / 1024, 1)} MiB at the last`)
console.log(`  server GC: ${gc.n} pauses, ${f(gc.ms)} ms in all, longest ${f(gc.max, 1)} ms`)
console.log(`  server event-loop delay p99 ${f(loopDelay.percentile(99) / 1e6, 1)} ms, max ${f(loopDelay.max / 1e6, 1)} ms`)
console.log(`  server CPU ${f(cpuS, 1)} s over ${f(wallUsed, 1)} s = ${f(cpuS / wallUsed * 100)}% of one core (${f(cpuS / Math.max(1, pushesOk) * 1e6)} µs per push, ${f(cpuS / Math.max(1, pushesOk * 8 * ticksPerPush) * 1e6, 1)} ms per 1k rows); load generator CPU ${f(Number(load.generator_cpu_s), 1)} s`)
console.log(`  server RSS max ${f(process.resourceUsage().maxRSS / 1024)} MiB`)
console.log(`  server event-loop thread CPU ${f(threadS, 1)} s = ${f(threadS / wallUsed * 100)}% of one core (${f(threadS / Math.max(1, pushesOk) * 1e6)} µs per push)`)

await bench.close()
if (!args.keep) rmSync(dir, { recursive: true, force: true })
else console.log(`  kept ${redactDb(dbPath)}`)
