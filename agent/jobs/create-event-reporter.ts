import { agentJobEventsPath } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { Backoff } from '../uplink/create-backoff.ts'
import type { Upstream } from '../uplink/create-upstream.ts'
import type { JobStateStore } from './open-job-state.ts'
import { readJobAnswer } from './read-job-answer.ts'

export interface EventReporterOptions {
  upstream: Upstream
  store: JobStateStore
  log: Logger
  backoff: Backoff
  timers?: Timers
  timeoutMs?: number
  /** On stop, how long a request in flight may still take. */
  flushTimeoutMs?: number
}

export interface EventReporter {
  /** Send what the outbox holds now (called when an event is queued). */
  kick: () => void
  start: () => void
  stop: () => Promise<void>
}

/**
 * Sends the outbox's run events in order, one at a time; an event leaves the outbox (and the
 * state file) only once the control plane acknowledged it, so an exit reaches it after an
 * agent restart too. A refusal by the control plane itself (a job it no longer knows) drops
 * the event with a warning; anything else is retried with backoff. Delivery is at least once:
 * an event whose answer was lost (a timeout, a stop mid-request) is sent again, so the control
 * plane takes a repeated (job, run, event) as a no-op.
 */
export function createEventReporter (o: EventReporterOptions): EventReporter {
  const timers = o.timers ?? realTimers
  const abort = new AbortController()
  let sending: Promise<void> | null = null
  let timer: unknown = null
  let stopped = false
  let failing = false

  function kick (): void {
    if (stopped || sending !== null || timer !== null) return
    sending = drain().finally(() => { sending = null })
  }

  async function drain (): Promise<void> {
    const outbox = o.store.data().outbox
    while (!stopped && outbox.length > 0) {
      const head = outbox[0]!
      const answer = readJobAnswer(await o.upstream.request('POST', agentJobEventsPath(head.job_id), { body: JSON.stringify(head.event), timeoutMs: o.timeoutMs ?? 10_000, signal: abort.signal }))
      if (answer.kind === 'retry') {
        if (stopped) return
        if (!failing) o.log.warn({ job: head.job_id, event: head.event.event, status: answer.status, error: answer.error }, 'could not report a job event; retrying with backoff')
        failing = true
        timer = timers.setTimeout(() => { timer = null; kick() }, o.backoff.next())
        return
      }
      if (answer.kind === 'refused') o.log.warn({ job: head.job_id, event: head.event.event, status: answer.status, code: answer.code, message: answer.message }, 'the control plane refused a job event; dropped')
      if (failing) o.log.info({}, 'job events reach the control plane again')
      failing = false
      o.backoff.reset()
      outbox.splice(outbox.indexOf(head), 1)
      await o.store.save().catch((err: unknown) => o.log.error({ err: String(err) }, 'could not write the job state file'))
    }
  }

  return {
    kick,
    start: kick,
    async stop () {
      stopped = true
      if (timer !== null) timers.clearTimeout(timer)
      // A request in flight may finish (bounded): cut, its event is sent again by the next agent.
      const cut = setTimeout(() => abort.abort(), o.flushTimeoutMs ?? 2000)
      await sending
      clearTimeout(cut)
    },
  }
}
