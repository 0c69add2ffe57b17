/**
 * The node side of bench/jobs.ts, its own process so its CPU is not the control plane's:
 * simulated nodes, each registered through the real API with its cluster's ingest key (node,
 * then GPUs), pushing idle telemetry every 10 s (the scheduler places only on GPUs with fresh
 * readings), and running the agent's real job runner (agent/jobs/start-jobs.ts: executor,
 * assignment long poll, event reporter, log uploader) with its own state directory and
 * hostname. No nvidia-smi: the runner never calls it. Prints JSON lines: `ready`, then on
 * SIGTERM (every runner stopped) `done` with this process's CPU and what the runners logged.
 *
 *   node bench/jobs-agents.ts --url URL --dir DIR --nodes '[{"cluster":"c","key":"gfk_…","gpus":8,"prefix":"n","i":0}, …]'
 */
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { benchArgs } from './bench-args.ts'
import { GPU_STATS_PATH, GPUS_PATH, NODES_PATH } from '../shared/wire/paths.ts'
import type { Logger } from '../shared/logger.ts'
import { startJobs, type RunningJobs } from '../agent/jobs/start-jobs.ts'
import { simulatedAgent } from './load/simulated-agent.ts'

/** One simulated node: `i` numbers it fleet-wide (hostname `<prefix>-<i>`, its GPUs' UUIDs). */
interface NodeSpec { cluster: string, key: string, gpus: number, prefix: string, i: number }

const args = benchArgs({ url: null, dir: null, nodes: null, 'push-s': '10' })
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

// Runner logs are counted, not printed: warnings and errors are part of the result.
const logged = { warn: 0, error: 0, first: [] as string[], push_failures: 0 }
const note = (level: 'warn' | 'error') => (obj: object, msg: string) => {
  // The first two of each level.
  if (logged[level]++ < 2) logged.first.push(`${level}: ${msg} ${JSON.stringify(obj)}`)
}
const log: Logger = { debug () {}, info () {}, warn: note('warn'), error: note('error') }

async function post (path: string, key: string, body: string): Promise<{ status: number, json: any }> {
  const res = await fetch(`${args.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } })
  const text = await res.text()
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status} ${text.slice(0, 300)}`)
  return { status: res.status, json: text === '' ? null : JSON.parse(text) }
}

const nodes = (JSON.parse(args.nodes) as NodeSpec[])
  .map(g => ({ group: g, sim: simulatedAgent(g.i, { cluster: g.cluster, gpus: g.gpus, prefix: g.prefix, utilizationPct: 0 }) }))
const t0 = performance.now()
const pushes: Array<() => Promise<unknown>> = []
let next = 0
await Promise.all(Array.from({ length: 4 }, async () => {
  while (next < nodes.length) {
    const { group, sim } = nodes[next++]!
    const node = await post(NODES_PATH, group.key, JSON.stringify(sim.node))
    const nodeId = node.json.id as number
    await post(GPUS_PATH, group.key, JSON.stringify(sim.gpus(nodeId)))
    const template = sim.pushTemplate(nodeId)
    const push = () => post(GPU_STATS_PATH, group.key, template.join(JSON.stringify(new Date().toISOString())))
    await push()
    pushes.push(push)
  }
}))
const registeredS = (performance.now() - t0) / 1000

const cpuStart = process.cpuUsage()
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
const runners: RunningJobs[] = nodes.map(({ group, sim }) => startJobs({
  controlPlaneUrl: args.url,
  apiKey: group.key,
  userAgent: 'gpufleet-bench-jobs',
  stateDir: join(args.dir, sim.hostname),
  hostname: sim.hostname,
  // As the tests do: a root agent never runs jobs as root.
  jobUser: process.getuid?.() === 0 ? 'nobody' : undefined,
  killGraceMs: 30_000,
  logMaxBytes: 1024 * 1024,
  systemd: false,
  log,
}))
// Readings older than the scheduler's staleness limit (60 s) would take the GPUs out of placement.
const pushTimer = setInterval(() => { for (const push of pushes) push().catch(() => { logged.push_failures++ }) }, Number(args['push-s']) * 1000)
emit({ event: 'ready', nodes: nodes.length, registered_s: registeredS })

process.once('SIGTERM', () => {
  clearInterval(pushTimer)
  Promise.all(runners.map(r => r.stop())).then(() => {
    const cpu = process.cpuUsage(cpuStart)
    emit({ event: 'done', cpu_s: (cpu.user + cpu.system) / 1e6, loop_p99_ms: loopDelay.percentile(99) / 1e6, loop_max_ms: loopDelay.max / 1e6, ...logged })
    process.exit(0)
  }, (err: unknown) => { console.error(err); process.exit(1) })
})
