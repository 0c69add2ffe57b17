/**
 * Executed jobs end to end (issue 15): `gpufleet control-plane` as a real process on a SQLite
 * file, and separate node processes (bench/jobs-agents.ts, --agent-processes) of simulated nodes registered
 * through the API, each running the agent's real job runner (executor, assignment long poll,
 * event reporter, log uploader). Jobs are submitted through POST /api/jobs with a command and
 * 1 GPU each; the scheduler places them, the runners spawn them (as `nobody` when root), and
 * their exits end them. Two phases, one after the other:
 * - fleet: --jobs short jobs over --nodes nodes × --gpus GPUs: assignment-to-start latency
 *   (the job's started_at, when the scheduler started it, to the `started` its agent reported
 *   at spawn), total wall time (first submit to last exit) and the completion rate;
 * - one agent: --solo-jobs jobs on one --gpus node back to back: jobs started per second, and
 *   where a GPU's time between two jobs goes.
 * The control plane's CPU (/proc, user+system) is printed per phase.
 *
 * Submitting starts --settle-s after the runners are up, so every node's long poll is held as
 * in a running fleet (not in the gap after its first answer).
 *
 *   node bench/jobs.ts [--nodes 100] [--gpus 8] [--jobs 1000] [--solo-jobs 200] [--command true] [--agent-processes 10] [--settle-s 3] [--idle-s 10] [--push-s 10] [--timeout-s 600] [--keep]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { benchArgs } from './bench-args.ts'
import { spawnControlPlane } from '../test/helpers/spawn-control-plane.ts'
import { ms, percentile } from './timings.ts'

const args = benchArgs({ nodes: '100', gpus: '8', jobs: '1000', 'solo-jobs': '200', command: 'true', 'timeout-s': '600', 'settle-s': '3', 'idle-s': '10', 'push-s': '10', 'agent-processes': '10', keep: false })
const processCount = Number(args['agent-processes'])
const nodes = Number(args.nodes)
const gpus = Number(args.gpus)
const command = args.command.split(' ')
const fmtLoad = () => loadavg().map(x => x.toFixed(1)).join(' ')

interface JobDetail {
  id: number
  status: string
  end_reason: string | null
  exit_code: number | null
  exit_signal: string | null
  submitted_at: string
  started_at: string | null
  ended_at: string | null
  gpus: Array<{ gpu_index: number, hostname: string }>
  events: Array<{ kind: string, at: string, detail: { run?: number } | null }>
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; Node ${process.version}; load average before ${fmtLoad()}`)
const dir = mkdtempSync(join(tmpdir(), 'gpufleet-bench-jobs-'))
const cp = await spawnControlPlane(join(dir, 'gpufleet.db'))
const admin = { authorization: `Bearer ${cp.adminKey}`, 'content-type': 'application/json' }
async function api (method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${cp.url}${path}`, { method, headers: admin, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`)
  return JSON.parse(text)
}
/** `fn` over `items`, `width` at a time. */
async function inParallel<T, R> (items: readonly T[], width: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => { while (next < items.length) { const i = next++; out[i] = await fn(items[i]!) } }))
  return out
}

const fleet = await api('POST', '/api/clusters', { name: 'bench-fleet', region: 'bench' })
const solo = await api('POST', '/api/clusters', { name: 'bench-solo', region: 'bench' })
// The nodes dealt round-robin over the node processes; the lone node goes with the first.
const specs = [
  ...Array.from({ length: nodes }, (_, i) => ({ cluster: 'bench-fleet', key: fleet.api_key as string, gpus, prefix: 'fleet-node', i })),
  { cluster: 'bench-solo', key: solo.api_key as string, gpus, prefix: 'solo-node', i: nodes },
]
const processes = Array.from({ length: Math.min(processCount, specs.length) }, (_, p) => {
  const child = spawn(process.execPath, [
    join(import.meta.dirname, 'jobs-agents.ts'), '--url', cp.url, '--dir', join(dir, 'nodes'), '--push-s', args['push-s'],
    '--nodes', JSON.stringify(specs.filter((_, i) => (i === specs.length - 1 ? 0 : i % processCount) === p)),
  ], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const nextLine = async (): Promise<Record<string, any>> => {
    const r = await lines.next()
    if (r.done === true) throw new Error('a node process ended early')
    return JSON.parse(r.value) as Record<string, any>
  }
  return { child, nextLine }
})
const readies = await Promise.all(processes.map(p => p.nextLine()))
const sleep = (s: number) => new Promise(resolve => setTimeout(resolve, s * 1000))
await sleep(Number(args['settle-s']))
// Idle: every node's long poll held (each looks at its set again every second by itself) and telemetry every 10 s.
const idleCpu0 = cp.cpuSeconds()
const idleT0 = performance.now()
await sleep(Number(args['idle-s']))
const idleShare = (cp.cpuSeconds() - idleCpu0) / ((performance.now() - idleT0) / 1000)
console.log(`jobs bench: control plane pid ${cp.pid} (gpufleet control-plane, SQLite WAL file); ${specs.length} nodes (${nodes} × ${gpus} GPUs + 1 × ${gpus} alone) in ${processes.length} node processes, registered through the API in ${Math.max(...readies.map(r => r.registered_s as number)).toFixed(1)} s, each with the agent's job runner; command ${JSON.stringify(command)}, 1 GPU per job`)
console.log(`idle: control plane CPU ${(idleShare * 100).toFixed(1)} % of one core over ${args['idle-s']} s with ${specs.length} long polls held and telemetry every ${args['push-s']} s per node`)

/** Submits `count` jobs to the cluster and waits until every one has ended; their details and the control plane's CPU. */
async function runPhase (clusterId: number, count: number, label: string) {
  const cpu0 = cp.cpuSeconds()
  const t0 = performance.now()
  const ids = await inParallel(Array.from({ length: count }, (_, i) => i), 8, async i =>
    (await api('POST', '/api/jobs', { cluster_id: clusterId, name: `${label}-${i}`, gpu_count: 1, command })).id as number)
  const submitS = (performance.now() - t0) / 1000
  const deadline = performance.now() + Number(args['timeout-s']) * 1000
  let ended = 0
  // The control plane's answer time to a light read while the phase runs: is it the one behind?
  const answerMs: number[] = []
  while (performance.now() < deadline) {
    const asked = performance.now()
    const totals = await Promise.all(['completed', 'failed', 'cancelled'].map(async s => (await api('GET', `/api/jobs?cluster_id=${clusterId}&status=${s}&limit=1`)).total as number))
    answerMs.push(performance.now() - asked)
    ended = totals.reduce((a, b) => a + b, 0)
    if (ended >= count) break
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  const wallS = (performance.now() - t0) / 1000
  const cpuS = cp.cpuSeconds() - cpu0
  const details = await inParallel(ids, 8, id => api('GET', `/api/jobs/${id}`) as Promise<JobDetail>)
  return { details, submitS, wallS, cpuS, ended, answerMs }
}

const t = (iso: string | null) => (iso === null ? NaN : Date.parse(iso))
/** The agent's `started` for the job's last run (its started_at is the run). */
const spawnedAt = (j: JobDetail) => t(j.events.find(e => e.kind === 'process_started' && e.detail?.run === t(j.started_at))?.at ?? null)
const line = (name: string, xs: number[], unit = 'ms') => `${name} p50 ${ms(percentile(xs, 50))} ${unit}   p99 ${ms(percentile(xs, 99))} ${unit}   max ${ms(Math.max(...xs))} ${unit}   (n ${xs.length})`
const outcome = (ds: JobDetail[]) => {
  const by = new Map<string, number>()
  for (const j of ds) { const k = j.status + (j.end_reason !== null ? `/${j.end_reason}` : ''); by.set(k, (by.get(k) ?? 0) + 1) }
  // The first failures as the agent told them (which signal, what message).
  const failed = ds.filter(j => j.status === 'failed').slice(0, 3).map(j => JSON.stringify({
    id: j.id, node: j.gpus[0]?.hostname, exit_code: j.exit_code, exit_signal: j.exit_signal, events: j.events.map(e => [e.kind, e.at.slice(11), e.detail]),
  }))
  return JSON.stringify(Object.fromEntries(by)) + (failed.length > 0 ? `\n  failed: ${failed.join('\n  failed: ')}` : '')
}

const a = await runPhase(fleet.id, Number(args.jobs), 'fleet')
const aStarted = a.details.filter(j => !Number.isNaN(spawnedAt(j)))
const aFirst = Math.min(...a.details.map(j => t(j.submitted_at)))
const aLast = Math.max(...a.details.map(j => t(j.ended_at)).filter(x => !Number.isNaN(x)))
const aCompleted = a.details.filter(j => j.status === 'completed').length
console.log(`fleet: ${a.details.length} jobs over ${nodes} nodes × ${gpus} GPUs (submitted in ${a.submitS.toFixed(1)} s, 8 at a time)`)
console.log(`  assignment→start (scheduler started_at → agent's started)  ${line('', aStarted.map(j => spawnedAt(j) - t(j.started_at)))}`)
console.log(`  submit→scheduler start                                     ${line('', a.details.filter(j => j.started_at !== null).map(j => t(j.started_at) - t(j.submitted_at)))}`)
console.log(`  wall time first submit → last exit ${((aLast - aFirst) / 1000).toFixed(1)} s (seen ended by the poller after ${a.wallS.toFixed(1)} s); completed ${aCompleted}/${a.details.length} = ${(aCompleted / a.details.length * 100).toFixed(1)} %   ${outcome(a.details)}`)
console.log(`  control plane CPU ${a.cpuS.toFixed(1)} s over ${a.wallS.toFixed(1)} s = ${(a.cpuS / a.wallS * 100).toFixed(0)} % of one core (${(a.cpuS / a.details.length * 1000).toFixed(1)} ms per job, idle long polls and telemetry included)`)
console.log(`  control plane answer time meanwhile (3 job counts in parallel, every 200 ms) ${line('', a.answerMs)}`)

const b = await runPhase(solo.id, Number(args['solo-jobs']), 'solo')
const spawns = b.details.map(spawnedAt).filter(x => !Number.isNaN(x)).sort((x, y) => x - y)
const bCompleted = b.details.filter(j => j.status === 'completed').length
// A GPU between two jobs: the previous job's exit (ended_at: the agent's exit time) → the scheduler starting the next on it.
const byGpu = new Map<number, JobDetail[]>()
for (const j of b.details) if (j.gpus[0] !== undefined) byGpu.set(j.gpus[0].gpu_index, [...byGpu.get(j.gpus[0].gpu_index) ?? [], j])
const idleGaps: number[] = []
for (const js of byGpu.values()) {
  js.sort((x, y) => t(x.started_at) - t(y.started_at))
  for (let i = 1; i < js.length; i++) idleGaps.push(t(js[i]!.started_at) - t(js[i - 1]!.ended_at))
}
const spanS = (spawns.at(-1)! - spawns[0]!) / 1000
console.log(`one agent: ${b.details.length} jobs on one node × ${gpus} GPUs, back to back (submitted in ${b.submitS.toFixed(1)} s)`)
console.log(`  jobs started per second ${((spawns.length - 1) / spanS).toFixed(2)} (${spawns.length} spawns in ${spanS.toFixed(1)} s, first to last); completed ${bCompleted}/${b.details.length}   ${outcome(b.details)}`)
console.log(`  a GPU between jobs: previous exit → scheduler start ${line('', idleGaps)}`)
console.log(`  assignment→start                                    ${line('', b.details.filter(j => !Number.isNaN(spawnedAt(j))).map(j => spawnedAt(j) - t(j.started_at)))}`)
console.log(`  job run (agent's started → exit)                     ${line('', b.details.filter(j => !Number.isNaN(spawnedAt(j))).map(j => t(j.ended_at) - spawnedAt(j)))}`)
console.log(`  control plane CPU ${b.cpuS.toFixed(1)} s over ${b.wallS.toFixed(1)} s = ${(b.cpuS / b.wallS * 100).toFixed(0)} % of one core`)
console.log(`  control plane answer time meanwhile ${line('', b.answerMs)}`)

for (const p of processes) p.child.kill('SIGTERM')
const dones = await Promise.all(processes.map(p => p.nextLine()))
const sum = (k: string) => dones.reduce((n, d) => n + (d[k] as number), 0)
const rss = cp.rss()
await cp.stop()
const firstLogged = dones.flatMap(d => d.first as string[]).sort().filter((m, i, all) => all.findIndex(x => x.slice(0, 40) === m.slice(0, 40)) === i)
console.log(`  node processes (${specs.length} runners) CPU ${sum('cpu_s').toFixed(1)} s for both phases (the jobs' own processes excluded); their event-loop delay p99 ${Math.max(...dones.map(d => d.loop_p99_ms as number)).toFixed(1)} ms, max ${Math.max(...dones.map(d => d.loop_max_ms as number)).toFixed(1)} ms (worst process); runner warnings ${sum('warn')}, errors ${sum('error')}${firstLogged.length > 0 ? `: ${firstLogged.join(' | ')}` : ''}; the bench's telemetry pushes that failed ${sum('push_failures')}`)
console.log(`  control plane RSS at the end ${(rss / 1024 / 1024).toFixed(1)} MB`)
console.log(`load average after ${fmtLoad()}`)
if (!args.keep) rmSync(dir, { recursive: true, force: true })
else console.log(`kept ${dir}`)
