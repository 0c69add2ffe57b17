/**
 * Agent overhead (issue 2, "Benchmark"): the real agent (`bin/gpufleet agent`, its own Node 24
 * process) against the nvidia-smi simulator, 8 GPUs at 1 Hz, pushing every snapshot to a local
 * control-plane sink (test/fakes/control-plane-sink.ts, in this process).
 *
 *   node bench/agent-overhead.ts [--seconds 60] [--load-seconds 20] [--rate 200]
 *        [--baseline-seconds <= --seconds>] [--settle-seconds 5] [--keep]
 *        [--agent-node-options="<node flags for the agent, e.g. --cpu-prof --cpu-prof-dir=/tmp/p>"]
 *   (default node flags: those of ExecStart= in systemd/gpufleet-agent.service, so the bench
 *   measures what production runs)
 *   (GPUFLEET_BENCH_SECONDS sets the default for --seconds, for quick runs)
 *
 * Phases, one after the other so none disturbs another's figures:
 *   A  (--seconds, measured) the agent idles as in production: collector, compute apps every
 *      5 s, uplink. Its own CPU is Δ(utime+stime) of /proc/<agent>/stat over the window
 *      (children excluded; the kernel's accounting, not sampling); peak RSS is VmHWM from
 *      /proc/<agent>/status (the peak since the process started, start-up included). The
 *      window opens --settle-seconds after the agent is ready (first snapshot delivered), so
 *      one-off start-up work (module loading, probing, registration) is not counted as
 *      steady-state CPU; it is printed separately.
 *      nvidia-smi CPU of loop mode = Δ(agent cutime+cstime) (one-shot children it reaped:
 *      compute apps) + Δ(utime+stime) of the long-lived loop child (alive, so in no parent
 *      counter yet; found via /healthz collector.child_pid). If the loop child was replaced
 *      during the window, the old one's whole CPU landed in cutime when reaped, and
 *      Δcut + end(new child) − start(old child) is still exact.
 *      Spawns are counted by the --nvidia-smi wrapper: a sh script that appends one line to a
 *      counter file and then `exec`s the simulator (same pid, so the agent's signals and
 *      /proc figures reach the simulator itself).
 *   B  `GET /v1/gpu/status` at --rate req/s for --load-seconds (after a 2 s warm-up at the
 *      same rate, discarded), open loop: request i is sent at t0 + i/rate whether or not
 *      earlier ones have answered, and its latency is measured from that scheduled time
 *      (coordinated-omission-free: a stall delays every request scheduled behind it). undici
 *      keep-alive Pool, a superadmin key the sink's introspection accepts (the agent caches the
 *      verdict, 60 s).
 *   Baseline (--baseline-seconds, default = --seconds; rates are scaled per minute) after the
 *      agent has stopped: bench/agent-overhead/spawn-per-tick.ts, a separate process that
 *      spawns the same wrapper once per 1000 ms tick with `--query-gpu=<the agent's probed
 *      fields>` (and `--query-compute-apps` every 5 s, as the agent does) and waits for each;
 *      its children's CPU comes from its own cutime/cstime once all are reaped.
 *
 * The nvidia-smi figures are the simulator's: each of its runs is a Node process (~50–60 ms
 * of CPU to start), so CPU/min compares spawn patterns, not the real binary's cost. Loop mode's
 * compute-apps query is re-armed 5 s after the previous one ends, so 11–12 run per minute.
 * The details block says how busy the host was with other work (/proc/stat), since on a small
 * shared machine that, not the agent, sets most of the latency tail.
 *
 * Always exits 0 once the figures are printed (a missed target prints FAIL), 1 on a setup
 * failure. Every process and the temp dir are cleaned up, also on Ctrl-C.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { benchArgs } from './bench-args.ts'
import { Pool } from 'undici'
import { startControlPlaneSink } from '../test/fakes/control-plane-sink.ts'
import type { ControlPlaneSink } from '../test/fakes/control-plane-sink.ts'
import type { BaselineResult } from './agent-overhead/spawn-per-tick.ts'
import { hostBusy, readCmdline, readHostCpu, readProcCpu, readProcMemory, readThreadCpu } from './agent-overhead/proc.ts'
import type { ProcCpu } from './agent-overhead/proc.ts'

const args = benchArgs({
  seconds: process.env.GPUFLEET_BENCH_SECONDS ?? '60',
  'baseline-seconds': undefined,
  'load-seconds': '20',
  rate: '200',
  'settle-seconds': '5',
  keep: false,
  /** Node flags for the agent; the default is what systemd/gpufleet-agent.service runs with (read from its ExecStart=). */
  'agent-node-options': undefined,
})
const seconds = positive('seconds', args.seconds)
const baselineSeconds = positive('baseline-seconds', args['baseline-seconds'] ?? args.seconds)
const loadSeconds = positive('load-seconds', args['load-seconds'])
const rate = positive('rate', args.rate)
const settleSeconds = Number(args['settle-seconds'])
const agentNodeOptions = (args['agent-node-options'] ?? unitNodeFlags()).split(/\s+/).filter(a => a !== '')
const WARMUP_S = 2
const GPUS = 8
const TARGET_CPU_PCT = 1
const TARGET_RSS_MB = 80
const TARGET_P99_MS = 5

const repo = resolve(import.meta.dirname, '..')
const pinnedNode = join(repo, 'node_modules', 'node', 'bin', 'node')
const nodeBin = existsSync(pinnedNode) ? pinnedNode : process.execPath
const simulator = join(repo, 'test', 'fakes', 'nvidia-smi')
// A host runs the agent for weeks: measure a start with the compile cache warm, as on every
// start after the first one of a given code version. A throw-away start always runs first:
// an existing cache directory can still miss for files changed since it was filled, and each
// miss loads the TypeScript stripper (~15 MB more RSS: the first start after an upgrade,
// docs/performance.md). One cache per checkout, Node and flag set (V8 rejects code cached
// under other flags).
const compileCache = join(tmpdir(), `gpufleet-bench-compile-cache-${createHash('sha256').update(`${repo}\0${process.version}\0${agentNodeOptions.join(' ')}`).digest('hex').slice(0, 12)}`)
const hostname = 'bench-agent-overhead'
const ingestKey = `ingest-${randomBytes(16).toString('hex')}`
const operatorKey = `op-${randomBytes(16).toString('hex')}`

const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-agent-'))
const agentWrapper = writeWrapper('agent')
const baselineWrapper = writeWrapper('baseline')

let sink: ControlPlaneSink | null = null
let agent: ChildProcess | null = null
let baseline: ChildProcess | null = null
let pool: Pool | null = null
const loopPids = new Set<number>()
const agentOutput: string[] = []

process.on('exit', () => {
  // Last resort (sync): nothing we started outlives the bench.
  for (const p of [agent, baseline]) if (p?.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  killStrayLoopChildren()
  if (!args.keep) rmSync(dir, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nagent-overhead: ${signal}, cleaning up\n`)
    void cleanup().finally(() => process.exit(130))
  })
}

try {
  await main()
} catch (err) {
  process.stderr.write(`agent-overhead: ${(err as Error).stack ?? String(err)}\n`)
  if (agentOutput.length > 0) process.stderr.write(`agent output (tail):\n${agentOutput.join('\n')}\n`)
  await cleanup()
  process.exit(1)
}
await cleanup()
process.exit(0)

async function main (): Promise<void> {
  const [l1, l5, l15] = loadavg().map(x => x.toFixed(2))
  const flags = agentNodeOptions.length > 0 ? `, agent node flags: ${agentNodeOptions.join(' ')}` : ''
  const header = `agent-overhead (Node ${process.version}, ${cpus().length} CPU, load avg ${l1} ${l5} ${l15} at start${flags})`
  console.log(`${header}\nphase A ${seconds} s measured, phase B ${loadSeconds} s @ ${rate} req/s, baseline ${baselineSeconds} s; temp dir ${dir}`)

  sink = await startControlPlaneSink({ apiKey: ingestKey, operatorKeys: { [operatorKey]: ['superadmin'] } })
  {
    const warm = await startAgentProcess(sink.url)
    await until(30_000, async () => (await fetchJson(`${warm.url}/healthz`)).status === 200, 'warm-up agent ready')
    const exited = new Promise(resolveExit => agent!.once('exit', resolveExit))
    agent!.kill('SIGTERM')
    await exited
  }
  console.log(`compile cache: warmed by a throw-away start of the agent (${compileCache})`)
  const startedAt = Date.now()
  const { url: agentUrl, pid: agentPid } = await startAgentProcess(sink.url)
  await until(30_000, async () => (await fetchJson(`${agentUrl}/healthz`)).status === 200 && sink!.rows().length > 0,
    'agent ready (/healthz 200 and rows at the sink)')
  const readyMs = Date.now() - startedAt
  const startup = readProcCpu(agentPid)!
  console.log(`agent pid ${agentPid} ready in ${(readyMs / 1000).toFixed(1)} s (start-up CPU ${startup.ownS.toFixed(2)} s); settling ${settleSeconds} s`)
  await sleep(settleSeconds * 1000)

  // ── Phase A ────────────────────────────────────────────────────────────────────────────
  const h0 = await healthz(agentUrl)
  const loop0 = h0.collector.child_pid
  if (loop0 === null) throw new Error('the agent reports no nvidia-smi loop child')
  loopPids.add(loop0)
  const a0 = readProcCpu(agentPid)!
  const th0 = readThreadCpu(agentPid)
  const c0 = readProcCpu(loop0)!
  const s0 = countSpawns('agent')
  const rssAtStart = readProcMemory(agentPid)!.rssBytes
  const hostA0 = readHostCpu()
  const t0 = Date.now()
  const p0 = performance.now()
  console.log(`phase A: ${seconds} s, loop child pid ${loop0}, ${h0.collector.fields.length} fields`)
  await sleep(seconds * 1000)
  const a1 = readProcCpu(agentPid)!
  const hostA = hostBusy(hostA0, readHostCpu())
  const th1 = readThreadCpu(agentPid)
  const h1 = await healthz(agentUrl)
  const loop1 = h1.collector.child_pid
  if (loop1 !== null) loopPids.add(loop1)
  const c1: ProcCpu = (loop1 === null ? null : readProcCpu(loop1)) ?? { ownS: 0, userS: 0, childrenS: 0 }
  const s1 = countSpawns('agent')
  const windowS = (performance.now() - p0) / 1000
  const t1 = t0 + Math.round(windowS * 1000)
  const memA = readProcMemory(agentPid)!
  // The agent's own view of its memory (prom-client process metrics), read after VmHWM.
  const heap = await heapFigures(agentUrl)
  const agentCpuS = a1.ownS - a0.ownS
  const agentCpuPct = agentCpuS / windowS * 100
  const loopSmiCpuS = (a1.childrenS - a0.childrenS) + c1.ownS - c0.ownS
  const loopSpawns = s1.total - s0.total
  const restartsInWindow = h1.collector.restarts - h0.collector.restarts

  // ── Phase B ────────────────────────────────────────────────────────────────────────────
  pool = new Pool(agentUrl, { connections: 8, pipelining: 1, keepAliveTimeout: 60_000 })
  const first = await pool.request({ path: '/v1/gpu/status', method: 'GET', headers: { authorization: `Bearer ${operatorKey}` } })
  const firstBody = await first.body.json() as { total_gpus?: number }
  if (first.statusCode !== 200 || firstBody.total_gpus !== GPUS) {
    throw new Error(`/v1/gpu/status with the operator key: ${first.statusCode} ${JSON.stringify(firstBody).slice(0, 300)}`)
  }
  console.log(`phase B: warm-up ${WARMUP_S} s, then ${loadSeconds} s @ ${rate} req/s`)
  await openLoop(agentUrl, WARMUP_S, rate)
  const b0 = readProcCpu(agentPid)!
  const hostB0 = readHostCpu()
  const benchB0 = process.cpuUsage()
  const load = await openLoop(agentUrl, loadSeconds, rate)
  const benchB = process.cpuUsage(benchB0)
  const hostB = hostBusy(hostB0, readHostCpu())
  const b1 = readProcCpu(agentPid)!
  const memB = readProcMemory(agentPid)!
  const loadCpuPct = (b1.ownS - b0.ownS) / load.wallS * 100

  // Delivery: rows stamped inside window A, counted now (phase B gave the last pushes time).
  const hEnd = await healthz(agentUrl)
  const rows = sink.rows().filter(r => r.hostname === hostname)
  const inWindow = rows.filter(r => { const at = Date.parse(r.recorded_at ?? ''); return at >= t0 && at < t1 })
  const ticksInWindow = new Set(inWindow.map(r => r.recorded_at)).size
  const expectedRows = Math.round(windowS) * GPUS
  const introspections = sink.introspections()
  const duplicates = sink.duplicates()

  await stopAgent()

  // ── Baseline ───────────────────────────────────────────────────────────────────────────
  console.log(`baseline: spawn-per-tick for ${baselineSeconds} s`)
  const base = await runBaseline(h1.collector.fields)
  const baseSpawns = countSpawns('baseline')

  // ── Report ─────────────────────────────────────────────────────────────────────────────
  const perMin = (n: number, s: number): number => n / s * 60
  const loopSpawnsPerMin = perMin(loopSpawns, windowS)
  const baseSpawnsPerMin = perMin(baseSpawns.total, base.wallS)
  const loopSmiCpuPerMin = perMin(loopSmiCpuS, windowS)
  const baseSmiCpuPerMin = perMin(base.childrenCpuS, base.wallS)
  const peakMb = memA.peakRssBytes / 1e6
  const p = (q: number): number => percentile(load.latencies, q)
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL')
  const [e1, e5, e15] = loadavg().map(x => x.toFixed(2))
  const threads = [...th1].map(([name, s]) => [name, s - (th0.get(name) ?? 0)] as const)
    .filter(([, s]) => s > 0).sort((x, y) => y[1] - x[1])
    .map(([name, s]) => `${name} ${s.toFixed(2)} s`).join(', ')

  console.log([
    '',
    `${header}, ${seconds} s, ${GPUS} GPUs @ 1 Hz, simulator`,
    `agent CPU (user+sys, own):  ${agentCpuPct.toFixed(2)} % of one core  (${agentCpuS.toFixed(2)} s in ${windowS.toFixed(1)} s; target ≤ ${TARGET_CPU_PCT} %)  ${verdict(agentCpuPct <= TARGET_CPU_PCT)}`,
    `agent peak RSS (VmHWM):     ${peakMb.toFixed(1)} MB  (RSS now ${(memA.rssBytes / 1e6).toFixed(1)} MB; target ≤ ${TARGET_RSS_MB} MB)  ${verdict(peakMb <= TARGET_RSS_MB)}`,
    `nvidia-smi spawns/min:      loop ${loopSpawnsPerMin.toFixed(1)} (+1 long-lived child, spawned once) vs spawn-per-tick ${baseSpawnsPerMin.toFixed(1)}  (${ratio(baseSpawnsPerMin, loopSpawnsPerMin)} fewer)`,
    `nvidia-smi CPU/min:         loop ${loopSmiCpuPerMin.toFixed(2)} s vs spawn-per-tick ${baseSmiCpuPerMin.toFixed(2)} s  (${ratio(baseSmiCpuPerMin, loopSmiCpuPerMin)} less)`,
    `samples delivered:          ${inWindow.length}/${expectedRows} in window (${ticksInWindow} snapshots), duplicates ${duplicates}`,
    `/v1/gpu/status @${rate} req/s:  p50 ${ms(p(50))}  p90 ${ms(p(90))}  p99 ${ms(p(99))}  max ${ms(load.max)}  errors ${load.errors}  (target p99 < ${TARGET_P99_MS} ms)  ${verdict(p(99) < TARGET_P99_MS && load.errors === 0)}`,
    '',
    'details:',
    `  agent CPU in window: user ${(a1.userS - a0.userS).toFixed(2)} s, sys ${(agentCpuS - (a1.userS - a0.userS)).toFixed(2)} s; by thread: ${threads || 'none'}`,
    `  loop mode, window: ${loopSpawns} spawns (${s1.computeApps - s0.computeApps} compute-apps, ${s1.loop - s0.loop} loop, ${s1.other - s0.other} other), collector restarts ${restartsInWindow}; whole run ${s1.total} spawns incl. probe`,
    `  loop mode nvidia-smi CPU: ${(c1.ownS - c0.ownS).toFixed(2)} s long-lived child (pid ${loop0}${loop1 !== loop0 ? ` → ${String(loop1)}` : ''}) + ${(a1.childrenS - a0.childrenS).toFixed(2)} s reaped one-shots, in ${windowS.toFixed(1)} s`,
    `  spawn-per-tick: ${base.gpuQueries} gpu + ${base.computeAppsQueries} compute-apps queries in ${base.wallS.toFixed(1)} s (counter: ${baseSpawns.total}), missed ticks ${base.missedTicks}, failures ${base.failures}, children CPU ${base.childrenCpuS.toFixed(2)} s`,
    `  agent memory: RSS ${(rssAtStart / 1e6).toFixed(1)} MB at window start → ${(memA.rssBytes / 1e6).toFixed(1)} MB at end (anon ${(memA.anonBytes / 1e6).toFixed(1)}, file-backed ${(memA.fileBytes / 1e6).toFixed(1)}); ${heap}`,
    `  agent start-up: ready in ${(readyMs / 1000).toFixed(1)} s, ${startup.ownS.toFixed(2)} s CPU (not in the window)`,
    `  phase B: ${load.sent} requests in ${load.wallS.toFixed(1)} s, agent CPU ${loadCpuPct.toFixed(1)} % of one core, peak RSS after ${(memB.peakRssBytes / 1e6).toFixed(1)} MB; service time (from actual send) p50 ${ms(percentile(load.service, 50))} p99 ${ms(percentile(load.service, 99))}; send lag (client timer slop, included in the latencies above) p50 ${ms(percentile(load.lags, 50))} p99 ${ms(percentile(load.lags, 99))} max ${ms(load.maxLagMs)}; introspections ${introspections}${load.firstError ? `; first error: ${load.firstError}` : ''}`,
    `  uplink: ${rows.length} rows stored for the whole run, pushed_samples ${hEnd.uplink.pushed_samples}, push failures ${hEnd.uplink.push_failures}, spool ${hEnd.uplink.spool_samples} samples`,
    `  host (all ${cpus().length} CPUs, everyone's work): phase A busy ${hostA.busyPct.toFixed(1)} % (steal ${hostA.stealPct.toFixed(1)} %), phase B busy ${hostB.busyPct.toFixed(1)} % (steal ${hostB.stealPct.toFixed(1)} %) of which this bench process ${((benchB.user + benchB.system) / 1e6 / load.wallS * 100 / cpus().length).toFixed(1)} % and the agent ${(loadCpuPct / cpus().length).toFixed(1)} %`,
    `  load avg at end: ${e1} ${e5} ${e15}`,
  ].join('\n'))
}

// ── Agent process ────────────────────────────────────────────────────────────────────────

function writeWrapper (name: 'agent' | 'baseline'): string {
  const path = join(dir, `nvidia-smi-${name}`)
  const counter = join(dir, `${name}-spawns.log`)
  writeFileSync(counter, '')
  // One short line per spawn (O_APPEND: atomic), then exec: the simulator keeps this pid.
  writeFileSync(path, `#!/bin/sh\necho "$$ $*" >> ${shellQuote(counter)}\nexec ${shellQuote(simulator)} "$@"\n`)
  chmodSync(path, 0o755)
  return path
}

function countSpawns (name: 'agent' | 'baseline'): { total: number, loop: number, computeApps: number, other: number } {
  const lines = readFileSync(join(dir, `${name}-spawns.log`), 'utf8').split('\n').filter(l => l !== '')
  const loop = lines.filter(l => / -lms /.test(l)).length
  const computeApps = lines.filter(l => l.includes('--query-compute-apps')).length
  return { total: lines.length, loop, computeApps, other: lines.length - loop - computeApps }
}

async function startAgentProcess (controlPlane: string): Promise<{ url: string, pid: number }> {
  // The agent reads GPUFLEET_* twins of its flags: none of the caller's may leak in.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GPUFLEET_') && k !== 'NODE_OPTIONS'))
  // As the unit does (NODE_COMPILE_CACHE under CacheDirectory=): a persistent compile cache.
  env.NODE_COMPILE_CACHE = compileCache
  const child = spawn(nodeBin, [
    ...agentNodeOptions,
    join(repo, 'bin', 'gpufleet'), 'agent',
    '--nvidia-smi', agentWrapper,
    '--listen', '127.0.0.1:0',
    '--control-plane', controlPlane,
    '--api-key', ingestKey,
    '--hostname', hostname,
    '--state-dir', join(dir, 'state'),
    '--log-level', 'warn',
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  agent = child
  const keep = (line: string): void => {
    agentOutput.push(line.slice(0, 500))
    if (agentOutput.length > 40) agentOutput.shift()
  }
  createInterface({ input: child.stdout! }).on('line', keep)
  const url = new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stderr! }).on('line', line => {
      keep(line)
      const m = /listening on (http:\/\/\S+)/.exec(line)
      if (m?.[1] !== undefined) resolveUrl(m[1])
    })
    child.once('exit', (code, signal) => reject(new Error(`the agent exited before listening (code ${code}, signal ${signal})`)))
    child.once('error', reject)
    setTimeout(() => reject(new Error('the agent did not report its address within 30 s')), 30_000).unref()
  })
  return { url: await url, pid: child.pid! }
}

async function stopAgent (): Promise<void> {
  const child = agent
  if (child === null || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(r => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
  killStrayLoopChildren()
}

/** A loop child is the agent's to stop; only if the agent died hard (SIGKILL) is one left. */
function killStrayLoopChildren (): void {
  for (const pid of loopPids) {
    if (!readCmdline(pid).includes('nvidia-smi')) continue // gone, or the pid was reused
    try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

/** V8 heap and external memory as the agent's /metrics reports them (MB), one line. */
async function heapFigures (agentUrl: string): Promise<string> {
  let text: string
  try {
    const res = await fetch(`${agentUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
    text = await res.text()
  } catch {
    return 'heap figures unavailable (/metrics did not answer)'
  }
  const metric = (name: string): number => {
    const m = new RegExp(`^\\w*${name} ([0-9.e+]+)$`, 'm').exec(text)
    return m?.[1] === undefined ? NaN : Number(m[1]) / 1e6
  }
  return `V8 heap total ${metric('nodejs_heap_size_total_bytes').toFixed(1)} MB ` +
    `(new space ${metric('nodejs_heap_space_size_total_bytes\\{space="new"\\}').toFixed(1)}, old ${metric('nodejs_heap_space_size_total_bytes\\{space="old"\\}').toFixed(1)}), ` +
    `used ${metric('nodejs_heap_size_used_bytes').toFixed(1)} MB, external ${metric('nodejs_external_memory_bytes').toFixed(1)} MB`
}

interface Healthz {
  collector: { child_pid: number | null, fields: string[], restarts: number }
  uplink: { pushed_samples: number, push_failures: number, spool_samples: number }
}

async function healthz (agentUrl: string): Promise<Healthz> {
  const { status, body } = await fetchJson(`${agentUrl}/healthz`)
  if (status !== 200) throw new Error(`/healthz answered ${status}: ${JSON.stringify(body).slice(0, 300)}`)
  return body as Healthz
}

async function fetchJson (url: string): Promise<{ status: number, body: unknown }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
    return { status: res.status, body: await res.json().catch(() => null) }
  } catch {
    return { status: 0, body: null }
  }
}

// ── Phase B: open-loop load ──────────────────────────────────────────────────────────────

interface LoadResult {
  sent: number
  wallS: number
  /** ms from each request's scheduled send time to its full response (coordinated-omission-free). */
  latencies: number[]
  /** ms from the actual send to the full response. */
  service: number[]
  max: number
  /** ms from each request's scheduled time to when it was actually sent (the client's own delay). */
  lags: number[]
  errors: number
  firstError: string | null
  maxLagMs: number
}

async function openLoop (agentUrl: string, durationS: number, perSecond: number): Promise<LoadResult> {
  const p = pool ?? new Pool(agentUrl)
  const periodMs = 1000 / perSecond
  const total = Math.round(durationS * perSecond)
  const result: LoadResult = { sent: 0, wallS: 0, latencies: [], service: [], max: 0, lags: [], errors: 0, firstError: null, maxLagMs: 0 }
  const pending = new Set<Promise<void>>()
  const headers = { authorization: `Bearer ${operatorKey}` }
  const fail = (why: string): void => {
    result.errors++
    result.firstError ??= why
  }
  const fire = (scheduled: number): void => {
    const sent = performance.now()
    result.lags.push(sent - scheduled)
    result.maxLagMs = Math.max(result.maxLagMs, sent - scheduled)
    result.sent++
    const done = p.request({ path: '/v1/gpu/status', method: 'GET', headers }).then(async res => {
      await res.body.text()
      const end = performance.now()
      if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`)
      result.latencies.push(end - scheduled)
      result.service.push(end - sent)
      result.max = Math.max(result.max, end - scheduled)
    }, (err: unknown) => fail((err as Error).message))
    pending.add(done)
    void done.finally(() => pending.delete(done))
  }
  const t0 = performance.now() + 5
  let i = 0
  while (i < total) {
    const now = performance.now()
    while (i < total && t0 + i * periodMs <= now) fire(t0 + i++ * periodMs)
    if (i < total) await sleep(t0 + i * periodMs - performance.now())
  }
  await Promise.all(pending)
  result.wallS = (performance.now() - t0) / 1000
  return result
}

// ── Baseline ─────────────────────────────────────────────────────────────────────────────

async function runBaseline (fields: string[]): Promise<BaselineResult> {
  const child = spawn(nodeBin, [
    join(repo, 'bench', 'agent-overhead', 'spawn-per-tick.ts'),
    '--nvidia-smi', baselineWrapper,
    '--fields', fields.join(','),
    '--seconds', String(baselineSeconds),
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  baseline = child
  let out = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => { out += chunk })
  const code = await new Promise<number | null>(r => child.once('exit', c => r(c)))
  if (code !== 0) throw new Error(`spawn-per-tick baseline exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as BaselineResult
}

// ── Helpers ──────────────────────────────────────────────────────────────────────────────

async function cleanup (): Promise<void> {
  await pool?.close().catch(() => {})
  pool = null
  if (baseline !== null && baseline.exitCode === null && baseline.signalCode === null) baseline.kill('SIGTERM')
  await stopAgent().catch(() => {})
  await sink?.close().catch(() => {})
  sink = null
}

function percentile (values: number[], q: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q / 100 * sorted.length) - 1))]!
}

function ratio (a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(1)}×` : '∞×'
}

function ms (v: number): string {
  return `${v.toFixed(v < 10 ? 2 : 1)} ms`
}

function sleep (msDelay: number): Promise<void> {
  return new Promise(r => setTimeout(r, Math.max(0, msDelay)))
}

async function until (timeoutMs: number, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)
    await sleep(200)
  }
}

/** The node flags between the binary and bin/gpufleet in the agent unit's ExecStart=. */
function unitNodeFlags (): string {
  const unit = readFileSync(join(import.meta.dirname, '..', 'systemd', 'gpufleet-agent.service'), 'utf8')
  const m = /^ExecStart=\S+\/node((?:\s+-\S+)*)\s+\S+\/bin\/gpufleet agent\b/m.exec(unit)
  if (m?.[1] === undefined) throw new Error('agent-overhead: no `ExecStart=…/node [flags] …/bin/gpufleet agent` line in systemd/gpufleet-agent.service')
  return m[1].trim()
}

function positive (name: string, value: string | undefined): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`agent-overhead: --${name} must be a positive number, got ${String(value)}\n`)
    process.exit(2)
  }
  return n
}

function shellQuote (s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}
