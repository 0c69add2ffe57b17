/**
 * The load side of bench/ingest.ts, run as its own process so its CPU is not the server's:
 * N simulated agents (8 GPUs each, 1 Hz), each pushing one tick per second at its own phase,
 * over keep-alive connections (an undici Pool). Latency is measured twice: from the request
 * being issued (what the server and loopback cost) and from the tick's scheduled time (so a
 * late generator cannot hide queueing: no coordinated omission). Prints JSON lines.
 *
 *   node bench/ingest-load.ts --url http://127.0.0.1:PORT --key KEY --agents 5000 --seconds 60
 */
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    key: { type: 'string', default: '' },
    agents: { type: 'string', default: '5000' },
    gpus: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '60' },
    connections: { type: 'string', default: '256' },
    warmup: { type: 'string', default: '5' },
  },
})
if (args.url === undefined) throw new Error('--url is required')
const agents = Number(args.agents)
const gpus = Number(args.gpus)
const seconds = Number(args.seconds)
const connections = Number(args.connections)
const warmup = Number(args.warmup)

// One realistic agent body (toGpuStatRows' shape: every extension field), with the tick's
// time spliced in per push; values vary per GPU like a busy 8×B200 host.
function template (agent: number): string[] {
  const rows = Array.from({ length: gpus }, (_, g) => ({
    gpu_id: g,
    name: 'NVIDIA B200',
    power_draw_w: 600 + ((agent * 7 + g * 13) % 400),
    temp_c: 40 + (g % 20),
    memory_used_mb: 173456,
    memory_total_mb: 183359,
    utilization_pct: 50 + (agent + g) % 50,
    recorded_at: '@T@',
    uuid: `GPU-${agent.toString(16).padStart(8, '0')}-0000-0000-0000-${g.toString().padStart(12, '0')}`,
    pci_bus_id: `00000000:${(0x18 + g).toString(16)}:00.0`,
    power_draw_avg_w: 590,
    power_limit_w: 1000,
    memory_temp_c: 45,
    memory_reserved_mb: 512,
    memory_utilization_pct: 35,
    sm_clock_mhz: 1965,
    mem_clock_mhz: 3996,
    ecc_errors_corrected: 0,
    ecc_errors_uncorrected: 0,
  }))
  const body = JSON.stringify({ node: { hostname: `bench-node-${agent}`, cluster: `bench-${agent % 4}`, agent_version: 'bench' }, gpus: rows })
  return body.split('"@T@"')
}

const pool = new Pool(args.url, { connections, pipelining: 1, keepAliveTimeout: 30_000 })
const templates = Array.from({ length: agents }, (_, i) => template(i))
const headers = { 'content-type': 'application/json', authorization: `Bearer ${args.key}` }

const latencies: number[] = []
const fromSchedule: number[] = []
const statuses = new Map<number, number>()
let accepted = 0
// Acknowledged rows over the whole run, warm-up included (compared with the rows stored).
let errors = 0
let okTotal = 0
// Worst latency per measured second: shows whether a tail is spread out or one stall.
const perSecondMax: number[] = []
let maxLagMs = 0
let inFlight = 0

// pool.dispatch with a bare handler rather than pool.request: the generator shares the two
// cores with the server, and the stream/promise plumbing of request() doubles its CPU.
function push (agent: number, scheduledAt: number, tickMs: number): void {
  const parts = templates[agent]!
  const body = parts.join(JSON.stringify(new Date(tickMs).toISOString()))
  inFlight++
  const sentAt = performance.now()
  let status = 0
  const chunks: Buffer[] = []
  const done = () => { inFlight-- }
  pool.dispatch({ path: '/api/gpu-stats', method: 'POST', headers, body }, {
    onConnect () {},
    onHeaders (statusCode) { status = statusCode; return true },
    onData (chunk) { chunks.push(chunk); return true },
    onComplete () {
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (status === 200) {
        okTotal++
        accepted += (JSON.parse(Buffer.concat(chunks).toString()) as { accepted: number }).accepted
        const t = performance.now()
        if (scheduledAt >= measureFrom) {
          const sec = Math.floor((scheduledAt - measureFrom) / 1000)
          perSecondMax[sec] = Math.max(perSecondMax[sec] ?? 0, t - sentAt)
          latencies.push(t - sentAt)
          fromSchedule.push(t - scheduledAt)
        }
      }
      done()
    },
    onError () {
      errors++
      done()
    },
  })
}

// The first `warmup` seconds (every agent's first push creates its node's rows) are sent but
// not measured; throughput and latency cover the `seconds` after them.
const startPerf = performance.now() + 200
const startWall = Date.now() + 200
const measureFrom = startPerf + warmup * 1000
const endPerf = measureFrom + seconds * 1000
// Agent i ticks at phase i/agents of each second, like independent hosts' clocks.
const phase = (i: number) => (i / agents) * 1000
let next = 0
let round = 0
// The generator's own stalls inflate latencies it measures: report them so a tail can be placed.
const loopDelay = monitorEventLoopDelay({ resolution: 5 })
let cpu0 = process.cpuUsage()
let startSent = false

await new Promise<void>(resolve => {
  const tick = () => {
    const nowPerf = performance.now()
    while (true) {
      const due = startPerf + round * 1000 + phase(next)
      if (due > nowPerf || due >= endPerf) break
      maxLagMs = Math.max(maxLagMs, nowPerf - due)
      if (!startSent && due >= measureFrom) {
        startSent = true
        process.stdout.write(JSON.stringify({ event: 'start' }) + '\n')
        cpu0 = process.cpuUsage()
        loopDelay.enable()
      }
      push(next, due, startWall + round * 1000 + Math.floor(phase(next)))
      next++
      if (next === agents) { next = 0; round++ }
    }
    if (startPerf + round * 1000 + phase(next) >= endPerf) resolve()
    else setTimeout(tick, 1)
  }
  setTimeout(tick, 200)
})
while (inFlight > 0) await new Promise(r => setTimeout(r, 20))
const cpu = process.cpuUsage(cpu0)
await pool.close()

latencies.sort((a, b) => a - b)
fromSchedule.sort((a, b) => a - b)
const quantile = (xs: number[], p: number) => xs.length === 0 ? null : Math.round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! * 100) / 100
const q = (p: number) => quantile(latencies, p)
process.stdout.write(JSON.stringify({
  event: 'done',
  pushes_ok: latencies.length,
  pushes_ok_total: okTotal,
  statuses: Object.fromEntries(statuses),
  errors,
  accepted_rows: accepted,
  p50_ms: q(0.5),
  p90_ms: q(0.9),
  p99_ms: q(0.99),
  max_ms: q(1),
  p50_from_schedule_ms: quantile(fromSchedule, 0.5),
  p99_from_schedule_ms: quantile(fromSchedule, 0.99),
  generator_max_lag_ms: maxLagMs,
  generator_cpu_s: (cpu.user + cpu.system) / 1e6,
  generator_loop_delay_max_ms: Math.round(loopDelay.max / 1e5) / 10,
  seconds,
  warmup_seconds: warmup,
  worst_ms_per_second: perSecondMax.map(x => Math.round(x)),
}) + '\n')
