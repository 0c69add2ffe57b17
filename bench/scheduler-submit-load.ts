/**
 * The load side of the submit bench (bench/scheduler.ts), its own process so its CPU is not
 * the server's: POST /api/jobs open-loop at a fixed cadence (default every 5 ms = 200/s) over
 * keep-alive connections, with a real API key. Latency is measured from the request being
 * issued and from its scheduled time (a late generator cannot hide queueing). Prints one
 * JSON line at the end.
 *
 *   node bench/scheduler-submit-load.ts --url http://127.0.0.1:PORT --key gfk_… --clusters 1,2 --tenants 1,2,3
 */
import { benchArgs } from './bench-args.ts'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Pool } from 'undici'

const args = benchArgs({ url: null, key: '', clusters: '1', tenants: '', 'interval-ms': '5', seconds: '30', warmup: '3' })
const clusters = args.clusters.split(',').map(Number)
const tenants = args.tenants === '' ? [] : args.tenants.split(',').map(Number)
const every = Number(args['interval-ms'])
const seconds = Number(args.seconds)
const warmup = Number(args.warmup)

const pool = new Pool(args.url, { connections: 32, pipelining: 1, keepAliveTimeout: 30_000 })
const headers = { 'content-type': 'application/json', authorization: `Bearer ${args.key}` }
let seq = 0
const sizes = [1, 1, 1, 1, 2, 2, 4, 4, 8]
function body (): string {
  const i = seq++
  return JSON.stringify({
    cluster_id: clusters[i % clusters.length],
    name: `bench-job-${i}`,
    gpu_count: sizes[i % sizes.length],
    priority: 1 + (i * 7) % 10,
    ...(tenants.length > 0 && i % 10 !== 0 ? { tenant_id: tenants[i % tenants.length] } : {}),
    kind: 'training',
  })
}

const fromIssue: number[] = []
const fromSchedule: number[] = []
const statuses = new Map<number, number>()
let errors = 0
let inFlight = 0
let maxLag = 0

function send (scheduledAt: number, measured: boolean): void {
  inFlight++
  const sentAt = performance.now()
  let status = 0
  pool.dispatch({ path: '/api/jobs', method: 'POST', headers, body: body() }, {
    onConnect () {},
    onHeaders (code) { status = code; return true },
    onData () { return true },
    onComplete () {
      const t = performance.now()
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (measured && status === 201) {
        fromIssue.push(t - sentAt)
        fromSchedule.push(t - scheduledAt)
      }
      inFlight--
    },
    onError () { errors++; inFlight-- },
  })
}

const start = performance.now() + 100
const measureFrom = start + warmup * 1000
const end = measureFrom + seconds * 1000
const loopDelay = monitorEventLoopDelay({ resolution: 5 })
let i = 0
await new Promise<void>(resolve => {
  const tick = () => {
    const now = performance.now()
    for (;;) {
      const due = start + i * every
      if (due > now || due >= end) break
      maxLag = Math.max(maxLag, now - due)
      send(due, due >= measureFrom)
      i++
    }
    if (start + i * every >= end) resolve()
    else setTimeout(tick, 1)
  }
  loopDelay.enable()
  setTimeout(tick, 100)
})
while (inFlight > 0) await new Promise(r => setTimeout(r, 10))
await pool.close()
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? null : Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 100) / 100
}
process.stdout.write(JSON.stringify({
  sent: i,
  measured: fromIssue.length,
  rate_per_s: Math.round(fromIssue.length / seconds * 10) / 10,
  statuses: Object.fromEntries(statuses),
  errors,
  p50_ms: q(fromIssue, 0.5),
  p90_ms: q(fromIssue, 0.9),
  p99_ms: q(fromIssue, 0.99),
  max_ms: q(fromIssue, 1),
  p50_from_schedule_ms: q(fromSchedule, 0.5),
  p99_from_schedule_ms: q(fromSchedule, 0.99),
  generator_max_lag_ms: Math.round(maxLag * 10) / 10,
  generator_loop_delay_max_ms: Math.round(loopDelay.max / 1e5) / 10,
}) + '\n')
