import { AGENT_ASSIGNMENTS_PATH, type Assignment, type AssignmentSet } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { Backoff } from '../uplink/create-backoff.ts'
import type { Upstream } from '../uplink/create-upstream.ts'
import { readJobAnswer } from './read-job-answer.ts'

/**
 * Real time on purpose: they space network requests, they schedule nothing the tests drive.
 * A poll answered early with the set unchanged (a control plane that ignores wait_s) waits the
 * longer gap; after a change the next poll goes out at once, only spaced by the short one: the
 * scheduler may start more jobs on the node a moment later (bench/jobs.ts: with one 500 ms
 * gap for both, a busy node's starts waited up to half a second for the agent to ask again).
 */
const MIN_POLL_GAP_MS = 500
const MIN_CHANGED_GAP_MS = 50

export interface AssignmentClientOptions {
  upstream: Upstream
  hostname: string
  onAssignments: (jobs: Assignment[]) => void
  log: Logger
  backoff: Backoff
  timers?: Timers
  /** How long the control plane may hold a poll (≤ MAX_ASSIGNMENT_WAIT_S). */
  waitS?: number
  /** Least time from one poll's start to the next: after an unchanged answer (default 500 ms), after a changed one (default 50 ms). */
  gapMs?: { unchanged?: number, changed?: number }
}

export interface AssignmentClient {
  start: () => void
  stop: () => Promise<void>
}

/**
 * Long-polls the node's assignment set (the agent's cluster key; no inbound call), sending
 * back the etag it holds so the control plane answers at once on a change and after `waitS`
 * otherwise. Every answer is converged on; errors back off (1 s → 30 s) while the jobs keep
 * running as they are: an unreachable control plane stops nothing.
 */
export function createAssignmentClient (o: AssignmentClientOptions): AssignmentClient {
  const timers = o.timers ?? realTimers
  const waitS = o.waitS ?? 25
  const unchangedGapMs = o.gapMs?.unchanged ?? MIN_POLL_GAP_MS
  const changedGapMs = o.gapMs?.changed ?? MIN_CHANGED_GAP_MS
  const abort = new AbortController()
  let etag: string | null = null
  let polling: Promise<void> | null = null
  let timer: unknown = null
  let stopped = false
  let failing = false

  function schedule (ms: number): void {
    if (stopped) return
    timer = timers.setTimeout(() => { timer = null; polling = poll().finally(() => { polling = null }) }, ms)
  }

  async function poll (): Promise<void> {
    const began = Date.now()
    const known = etag
    const query = new URLSearchParams({ hostname: o.hostname, wait_s: String(waitS) })
    if (known !== null) query.set('known', known)
    const reply = await o.upstream.request('GET', `${AGENT_ASSIGNMENTS_PATH}?${query}`, { timeoutMs: (waitS + 15) * 1000, signal: abort.signal })
    if (stopped) return
    const answer = readJobAnswer(reply)
    const set = answer.kind === 'ok' ? parseAssignmentSet(answer.body) : null
    if (set === null) {
      const error = answer.kind === 'retry' ? answer.error : answer.kind === 'refused' ? `${answer.code}: ${answer.message}` : 'a 2xx that is not an assignment set'
      if (!failing) {
        if (answer.kind === 'retry' && answer.auth) o.log.error({ status: answer.status }, `control plane refused the API key for job assignments (HTTP ${answer.status}); check --api-key. Retrying with backoff`)
        else o.log.warn({ status: answer.status, error }, 'could not fetch job assignments; retrying with backoff')
      }
      failing = true
      return schedule(o.backoff.next())
    }
    if (failing) o.log.info({}, 'job assignments reach the agent again')
    failing = false
    o.backoff.reset()
    etag = set.etag
    try {
      o.onAssignments(set.jobs)
    } catch (err) {
      o.log.error({ err: String(err) }, 'could not apply job assignments')
    }
    // A control plane that ignores wait_s (or changes the etag on every answer) must not be polled in a tight loop.
    schedule(Math.max(0, (set.etag === known ? unchangedGapMs : changedGapMs) - (Date.now() - began)))
  }

  return {
    start () { schedule(0) },
    async stop () {
      stopped = true
      if (timer !== null) timers.clearTimeout(timer)
      abort.abort()
      await polling
    },
  }
}

/** The shape checks the agent relies on; null for anything else. */
export function parseAssignmentSet (body: unknown): AssignmentSet | null {
  if (typeof body !== 'object' || body === null) return null
  const b = body as Partial<AssignmentSet>
  if (typeof b.etag !== 'string' || !Array.isArray(b.jobs)) return null
  const ok = b.jobs.every(j => typeof j === 'object' && j !== null &&
    Number.isSafeInteger(j.job_id) && Number.isSafeInteger(j.run) &&
    Array.isArray(j.command) && j.command.every(a => typeof a === 'string') &&
    typeof j.env === 'object' && j.env !== null && Object.values(j.env).every(v => typeof v === 'string') &&
    (j.workdir === null || typeof j.workdir === 'string') &&
    Array.isArray(j.gpu_uuids) && j.gpu_uuids.every(u => typeof u === 'string') &&
    Array.isArray(j.gpu_indices) && j.gpu_indices.every(i => Number.isSafeInteger(i)) &&
    (j.time_limit_min === null || typeof j.time_limit_min === 'number') &&
    typeof j.started_at === 'string' && !Number.isNaN(Date.parse(j.started_at)))
  return ok ? b as AssignmentSet : null
}
