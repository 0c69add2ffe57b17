/**
 * The baseline bench/agent-overhead.ts compares the agent's loop mode with: a naive
 * collector that spawns `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` once
 * per tick and waits for it, plus `--query-compute-apps` every 5 s as the agent does.
 *
 * It runs as its own process so that the CPU its nvidia-smi children burn can be read
 * exactly: the kernel adds a child's user+system time to its parent's cutime/cstime
 * (/proc/self/stat fields 16/17, what getrusage(RUSAGE_CHILDREN) reports) when the parent
 * reaps it. This process has no other children, and it reads the counters only after every
 * child has been reaped ('close' comes after libuv's waitpid), so they hold exactly the
 * baseline's nvidia-smi CPU. (process.cpuUsage()/resourceUsage() cover only this process.)
 *
 *   node bench/agent-overhead/spawn-per-tick.ts --nvidia-smi PATH --fields a,b,c --seconds N
 * Prints one JSON line (BaselineResult) on stdout when done.
 */
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { COMPUTE_APPS_FIELDS } from '../../agent/collector/gpu-fields.ts'
import { readProcCpu } from './proc.ts'

export interface BaselineResult {
  wallS: number
  gpuQueries: number
  computeAppsQueries: number
  /** Tick slots skipped because the previous query was still running at its slot. */
  missedTicks: number
  /** Queries that failed to spawn, exited non-zero, or (GPU queries) printed no rows. */
  failures: number
  /** CPU of all nvidia-smi children (user+sys), seconds. */
  childrenCpuS: number
  /** This driver process's own CPU, seconds (not part of the comparison; for reference). */
  ownCpuS: number
}

const { values: args } = parseArgs({
  options: {
    'nvidia-smi': { type: 'string' },
    fields: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    'interval-ms': { type: 'string', default: '1000' },
    'compute-apps-interval-ms': { type: 'string', default: '5000' },
  },
})
const nvidiaSmi = args['nvidia-smi']
const fields = args.fields
if (nvidiaSmi === undefined || fields === undefined) {
  process.stderr.write('spawn-per-tick: --nvidia-smi and --fields are required\n')
  process.exit(2)
}
const durationMs = Number(args.seconds) * 1000
const intervalMs = Number(args['interval-ms'])
const appsIntervalMs = Number(args['compute-apps-interval-ms'])

const running = new Set<ReturnType<typeof spawn>>()
let failures = 0

/** One run to completion; resolves once the child is reaped. Output is only counted, not parsed. */
function runOnce (argv: string[], rowsExpected: boolean): Promise<void> {
  return new Promise(resolve => {
    const child = spawn(nvidiaSmi!, argv, { stdio: ['ignore', 'pipe', 'ignore'] })
    running.add(child)
    let lines = 0
    child.stdout.on('data', (chunk: Buffer) => { for (const b of chunk) if (b === 10) lines++ })
    child.on('error', () => { failures++ })
    child.on('close', code => {
      running.delete(child)
      if (code !== 0 || (rowsExpected && lines === 0)) failures++
      resolve()
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))

/** Fixed slots from t0; a query still running at its next slot skips the slots it missed. */
async function every (periodMs: number, argv: string[], rowsExpected: boolean, count: { n: number, missed: number }, t0: number): Promise<void> {
  let slot = 0
  while (slot * periodMs < durationMs) {
    await sleep(t0 + slot * periodMs - performance.now())
    await runOnce(argv, rowsExpected)
    count.n++
    const next = Math.floor((performance.now() - t0) / periodMs) + 1
    count.missed += next - slot - 1
    slot = next
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGKILL')
    process.exit(1)
  })
}

const gpu = { n: 0, missed: 0 }
const apps = { n: 0, missed: 0 }
const t0 = performance.now()
await Promise.all([
  every(intervalMs, [`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], true, gpu, t0),
  // A host with no compute processes prints nothing: no rows is a valid answer here.
  every(appsIntervalMs, [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], false, apps, t0),
])
// The queries cover the slots [0, duration): per-minute rates are over the full duration
// (the last query may end before it, or, on a loaded host, after it).
await sleep(t0 + durationMs - performance.now())
const wallS = (performance.now() - t0) / 1000
const cpu = readProcCpu('self')
const result: BaselineResult = {
  wallS,
  gpuQueries: gpu.n,
  computeAppsQueries: apps.n,
  missedTicks: gpu.missed,
  failures,
  childrenCpuS: cpu?.childrenS ?? NaN,
  ownCpuS: cpu?.ownS ?? NaN,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
