import { AGENT_PROCESSES_PATH, type GpuProcess, type ProcessReport } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import { createBackoff, type Backoff } from '../uplink/create-backoff.ts'
import type { Upstream } from '../uplink/create-upstream.ts'

export interface ProcessReporterOptions {
  upstream: Pick<Upstream, 'postJson'>
  hostname: string
  /** The node's GPU processes now, attributed; null while there is no compute-apps reading. */
  read: () => GpuProcess[] | null
  log: Pick<Logger, 'info' | 'warn'>
  timers?: Timers | undefined
  now?: (() => number) | undefined
  /** How often the set is looked at (default 5 s, the compute-apps cadence). */
  checkMs?: number | undefined
  /** An unchanged set is reported again this often, so the control plane knows it is current (default 30 s). */
  refreshMs?: number | undefined
  backoff?: Backoff | undefined
}

export interface ProcessReporterStats {
  reports: number
  failures: number
  lastReportAt: number | null
  lastError: string | null
}

export interface ProcessReporter {
  start: () => void
  stop: () => Promise<void>
  stats: () => ProcessReporterStats
}

// Which processes run where and for whom; memory moves all the time and is no change.
const setKey = (processes: readonly GpuProcess[]): string =>
  processes.map(p => `${p.gpu_uuid}/${p.pid}/${p.job_id ?? ''}/${p.run ?? ''}`).sort().join('\n')

/**
 * POSTs a ProcessReport (AGENT_PROCESSES_PATH) when the set of GPU processes changes and at
 * least every `refreshMs`. Best effort: it is a current state, not telemetry, so nothing is
 * spooled; a failed report is retried after a backoff with the newest set.
 */
export function createProcessReporter (o: ProcessReporterOptions): ProcessReporter {
  if (typeof o.hostname !== 'string' || o.hostname === '') throw new TypeError('createProcessReporter: hostname is required')
  const timers = o.timers ?? realTimers
  const now = o.now ?? Date.now
  const checkMs = o.checkMs ?? 5000
  const refreshMs = o.refreshMs ?? 30_000
  if (!(checkMs > 0) || !(refreshMs >= checkMs)) throw new RangeError(`createProcessReporter: need 0 < checkMs <= refreshMs (got ${checkMs}, ${refreshMs})`)
  const backoff = o.backoff ?? createBackoff({ initialMs: 1000, maxMs: refreshMs })
  const stats: ProcessReporterStats = { reports: 0, failures: 0, lastReportAt: null, lastError: null }
  let timer: unknown = null
  let running = false
  let inFlight: Promise<void> | null = null
  let abort = new AbortController()
  let sentKey: string | null = null
  let sentAt = -Infinity

  const schedule = (ms: number): void => {
    if (running) timer = timers.setTimeout(() => { timer = null; inFlight = tick().finally(() => { inFlight = null }) }, ms)
  }

  async function tick (): Promise<void> {
    let processes: GpuProcess[] | null
    try {
      processes = o.read()
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'reading GPU processes failed')
      return schedule(backoff.next())
    }
    if (processes === null) return schedule(checkMs)
    const key = setKey(processes)
    if (key === sentKey && now() - sentAt < refreshMs) return schedule(checkMs)
    const report: ProcessReport = { hostname: o.hostname, at: new Date(now()).toISOString(), processes }
    const res = await o.upstream.postJson(AGENT_PROCESSES_PATH, report, { signal: abort.signal })
    if (!running) return
    if (res.kind === 'ok') {
      if (stats.lastError !== null) o.log.info({ processes: processes.length }, 'GPU process report accepted again')
      sentKey = key
      sentAt = now()
      stats.reports++
      stats.lastReportAt = sentAt
      stats.lastError = null
      backoff.reset()
      return schedule(checkMs)
    }
    // A 404 before the node registers, a control plane without the route, or down: try again later.
    if (stats.lastError === null) o.log.warn({ status: res.status, err: res.error }, 'GPU process report failed; retrying with backoff')
    stats.failures++
    stats.lastError = res.error ?? `HTTP ${res.status}`
    schedule(backoff.next())
  }

  return {
    start () {
      if (running) return
      running = true
      abort = new AbortController()
      schedule(0)
    },
    async stop () {
      running = false
      if (timer !== null) timers.clearTimeout(timer)
      timer = null
      abort.abort()
      await inFlight
    },
    stats: () => ({ ...stats }),
  }
}
