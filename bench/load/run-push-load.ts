import { Pool } from 'undici'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { GPU_STATS_PATH } from '../../shared/wire/gpu-stats.ts'

/**
 * A body split around its rows' times: parts.join(JSON.stringify(iso)) is one push. When agents
 * push every k seconds (PushLoadOptions.everySeconds), the slots are k equal runs, one per
 * tick, oldest first, the last at the push's own tick.
 */
export type BodyTemplate = string[]

export interface PushLoadOptions {
  url: string
  /** The bearer key for every agent, or one per agent (e.g. its cluster's ingest key). */
  key: string | readonly string[]
  /** One template per simulated agent (see BodyTemplate). */
  templates: readonly BodyTemplate[]
  seconds: number
  /** Sent but not measured (every agent's first push creates its node's rows). */
  warmup: number
  connections: number
  /** Each agent pushes every this many seconds (its template then holds as many ticks); default 1. */
  everySeconds?: number
  /** Called as the measured part begins (the server side starts its own clocks). */
  onMeasureStart?: () => void
  /** Called for every push as it is issued: agent index and its round (second) number. */
  onTick?: (agent: number, round: number) => void
  /**
   * As the agent's live sender (agent/uplink/create-uplink.ts): at most one request in flight
   * per agent; the ticks due meanwhile wait and go together in its next push (everySeconds
   * must be 1). Latency from schedule is then from the oldest tick a push carries to its ack:
   * how stale the control plane's view of that host gets.
   */
  agentForm?: boolean
}

export interface PushLoadResult {
  event: 'done'
  pushes_ok: number
  pushes_ok_total: number
  statuses: Record<string, number>
  errors: number
  accepted_rows: number
  p50_ms: number | null
  p90_ms: number | null
  p99_ms: number | null
  max_ms: number | null
  p50_from_schedule_ms: number | null
  p99_from_schedule_ms: number | null
  generator_max_lag_ms: number
  generator_cpu_s: number
  generator_loop_delay_max_ms: number
  seconds: number
  warmup_seconds: number
  worst_ms_per_second: number[]
  /** Ticks per acknowledged push in the measured part (1 unless agentForm batched them). */
  ticks_per_push_mean: number | null
}

export interface PushLoad {
  run: () => Promise<PushLoadResult>
  /** Counts so far (for progress lines while a long run goes on). */
  live: () => { pushesOk: number, acceptedRows: number, errors: number, non200: number, inFlight: number }
}

/**
 * N simulated agents, each pushing one tick per second at its own phase (agent i at i/N of
 * each second, like independent hosts' clocks) over keep-alive connections (an undici Pool).
 * Latency is measured twice: from the request being issued (what the server and loopback
 * cost) and from the tick's scheduled time (so a late generator cannot hide queueing: no
 * coordinated omission). Shared by bench/ingest-load.ts and bench/soak-load.ts.
 */
export function createPushLoad (o: PushLoadOptions): PushLoad {
  const agents = o.templates.length
  const every = o.everySeconds ?? 1
  if (o.agentForm === true && every !== 1) throw new TypeError('createPushLoad: agentForm sends each tick when it is due (everySeconds 1) or with the next push')
  const pool = new Pool(o.url, { connections: o.connections, pipelining: 1, keepAliveTimeout: 30_000 })
  const headersFor = new Map<string, Record<string, string>>()
  const headersOf = (agent: number): Record<string, string> => {
    const key = typeof o.key === 'string' ? o.key : o.key[agent]!
    let h = headersFor.get(key)
    if (h === undefined) headersFor.set(key, h = { 'content-type': 'application/json', authorization: `Bearer ${key}` })
    return h
  }
  const latencies: number[] = []
  const fromSchedule: number[] = []
  const statuses = new Map<number, number>()
  // Acknowledged rows over the whole run, warm-up included (compared with the rows stored).
  let accepted = 0
  let errors = 0
  let okTotal = 0
  let non200 = 0
  // Worst latency per measured second: shows whether a tail is spread out or one stall.
  const perSecondMax: number[] = []
  let maxLagMs = 0
  let inFlight = 0
  let measureFrom = Infinity

  let measuredTicks = 0

  /** One push of an agent's one-tick template carrying the ticks at `tickMs` (its rows, repeated per tick). */
  function multiTickBody (parts: BodyTemplate, tickMs: readonly number[]): string {
    const open = parts[0]!.indexOf('"gpus":[') + '"gpus":['.length
    const last = parts[parts.length - 1]!
    if (open < '"gpus":['.length || !last.endsWith(']}')) throw new Error('agentForm: a template must be {…, "gpus": [rows]}')
    const rows = [parts[0]!.slice(open), ...parts.slice(1, -1), last.slice(0, -2)]
    return parts[0]!.slice(0, open) + tickMs.map(t => rows.join(JSON.stringify(new Date(t).toISOString()))).join(',') + ']}'
  }

  // pool.dispatch with a bare handler rather than pool.request: the generator shares the
  // cores with the server, and the stream/promise plumbing of request() doubles its CPU.
  /** The template's slots filled, its `every` runs of them one tick each (tickMs oldest first). */
  function slotBody (parts: BodyTemplate, tickMs: readonly number[]): string {
    const times = tickMs.map(t => JSON.stringify(new Date(t).toISOString()))
    const perTick = (parts.length - 1) / every
    let body = parts[0]!
    for (let j = 1; j < parts.length; j++) body += times[Math.floor((j - 1) / perTick)]! + parts[j]!
    return body
  }

  /** One push of `agent` carrying the ticks at `tickMs`, scheduled (its oldest) at `scheduledAt`. */
  function push (agent: number, scheduledAt: number, tickMs: readonly number[], done?: () => void): void {
    const parts = o.templates[agent]!
    const body = o.agentForm === true ? multiTickBody(parts, tickMs) : slotBody(parts, tickMs)
    const ticks = tickMs.length
    inFlight++
    const sentAt = performance.now()
    let status = 0
    const chunks: Buffer[] = []
    pool.dispatch({ path: GPU_STATS_PATH, method: 'POST', headers: headersOf(agent), body }, {
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
            measuredTicks += ticks
          }
        } else non200++
        inFlight--
        done?.()
      },
      onError () {
        errors++
        inFlight--
        done?.()
      },
    })
  }

  // agentForm: per agent, whether a push is in flight and the ticks due meanwhile.
  const busy = new Uint8Array(agents)
  const waiting: Array<Array<{ due: number, tickMs: number }>> = Array.from({ length: agents }, () => [])
  function sendAsAgent (agent: number): void {
    const ticks = waiting[agent]!
    waiting[agent] = []
    busy[agent] = 1
    push(agent, ticks[0]!.due, ticks.map(x => x.tickMs), () => {
      busy[agent] = 0
      if (waiting[agent]!.length > 0) sendAsAgent(agent)
    })
  }
  function tickAsAgent (agent: number, due: number, tickMs: number): void {
    waiting[agent]!.push({ due, tickMs })
    if (busy[agent] === 0) sendAsAgent(agent)
  }

  async function run (): Promise<PushLoadResult> {
    const startPerf = performance.now() + 200
    const startWall = Date.now() + 200
    measureFrom = startPerf + o.warmup * 1000
    const endPerf = measureFrom + o.seconds * 1000
    const phase = (i: number) => (i / agents) * 1000
    let next = 0
    let round = 0
    // The generator's own stalls inflate latencies it measures: report them so a tail can be placed.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 })
    let cpu0 = process.cpuUsage()
    let started = false

    await new Promise<void>(resolve => {
      const tick = () => {
        const nowPerf = performance.now()
        while (true) {
          const due = startPerf + round * 1000 + phase(next)
          if (due > nowPerf || due >= endPerf) break
          maxLagMs = Math.max(maxLagMs, nowPerf - due)
          if (!started && due >= measureFrom) {
            started = true
            o.onMeasureStart?.()
            cpu0 = process.cpuUsage()
            loopDelay.enable()
          }
          const tickMs = startWall + round * 1000 + Math.floor(phase(next))
          if (o.agentForm === true) tickAsAgent(next, due, tickMs)
          else if ((round + next) % every === 0) push(next, due, Array.from({ length: every }, (_, k) => tickMs - (every - 1 - k) * 1000))
          o.onTick?.(next, round)
          next++
          if (next === agents) { next = 0; round++ }
        }
        if (startPerf + round * 1000 + phase(next) >= endPerf) resolve()
        else setTimeout(tick, 1)
      }
      setTimeout(tick, 200)
    })
    while (inFlight > 0 || waiting.some(w => w.length > 0)) await new Promise(r => setTimeout(r, 20))
    const cpu = process.cpuUsage(cpu0)
    await pool.close()

    latencies.sort((a, b) => a - b)
    fromSchedule.sort((a, b) => a - b)
    const quantile = (xs: number[], p: number) => xs.length === 0 ? null : Math.round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! * 100) / 100
    const q = (p: number) => quantile(latencies, p)
    return {
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
      seconds: o.seconds,
      warmup_seconds: o.warmup,
      worst_ms_per_second: perSecondMax.map(x => Math.round(x)),
      ticks_per_push_mean: latencies.length === 0 ? null : Math.round(measuredTicks / latencies.length * 100) / 100,
    }
  }

  return { run, live: () => ({ pushesOk: okTotal, acceptedRows: accepted, errors, non200, inFlight }) }
}
