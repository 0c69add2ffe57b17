import type { Job, JobChange, JobStatus } from '../store/job-repository.ts'
import type { ErrorCode } from '../../shared/error-codes.ts'

export type TransitionDecision =
  | { kind: 'change', change: JobChange }
  /** Already in the asked state: answered 200 without a write (idempotent retries). */
  | { kind: 'noop' }
  | { kind: 'refuse', status: 403 | 409, code: Extract<ErrorCode, 'INVALID_TRANSITION' | 'FORBIDDEN'>, message: string }

export interface Caller {
  /** An operator: a key not bound to a tenant. Only operators hold and release jobs. */
  operator: boolean
  /** Recorded with the event (e.g. "key:7"). */
  by: string | null
}

export const DEFAULT_HOLD_REASON = 'held by an operator'

const ENDED = new Set<JobStatus>(['completed', 'failed', 'cancelled'])
const invalid = (message: string): TransitionDecision => ({ kind: 'refuse', status: 409, code: 'INVALID_TRANSITION', message })

/**
 * PATCH /api/jobs/:id as a state machine over seed 003's statuses:
 * - running: only the scheduler starts jobs (it must assign GPUs) → 409 (a no-op when running).
 * - completed / failed: only from running (a job that never ran is cancelled instead).
 * - cancelled: from queued, blocked or running.
 * - blocked: an operator's hold (OPERATOR_HOLD, kept until lifted) on a waiting job; a running
 *   job cannot be held (409: cancel it).
 * - queued: an operator lifts a hold. A job the scheduler blocked (quota, size, inactive
 *   tenant) is re-evaluated every cycle, so forcing it queued is refused (409).
 * - An ended job never changes (409); asking for the state it is in is a no-op.
 * Holding and lifting need an operator (a key not bound to a tenant): 403 for a tenant's key.
 */
export function decideTransition (job: Job, target: { status: JobStatus, blockReason?: string | null | undefined }, caller: Caller): TransitionDecision {
  const to = target.status
  if (ENDED.has(job.status)) return to === job.status ? { kind: 'noop' } : invalid(`job ${job.id} is ${job.status}; an ended job does not change`)
  if (to === 'running') return job.status === 'running' ? { kind: 'noop' } : invalid('only the scheduler starts jobs (it assigns their GPUs)')
  if (to === 'completed' || to === 'failed') {
    return job.status === 'running'
      ? { kind: 'change', change: { kind: 'end', status: to, by: caller.by } }
      : invalid(`job ${job.id} never ran (${job.status}); cancel it instead`)
  }
  if (to === 'cancelled') return { kind: 'change', change: { kind: 'end', status: 'cancelled', by: caller.by } }
  if (!caller.operator) return { kind: 'refuse', status: 403, code: 'FORBIDDEN', message: 'only an operator (a key not bound to a tenant) holds or releases jobs' }
  if (to === 'blocked') {
    if (job.status === 'running') return invalid(`job ${job.id} is running; a running job cannot be held (cancel it)`)
    const reason = target.blockReason ?? DEFAULT_HOLD_REASON
    if (job.pendingReason === 'OPERATOR_HOLD' && job.blockReason === reason) return { kind: 'noop' }
    return { kind: 'change', change: { kind: 'hold', blockReason: reason, by: caller.by } }
  }
  // to === 'queued'
  if (job.status === 'running') return invalid(`job ${job.id} is running; it cannot go back to the queue`)
  if (job.pendingReason === 'OPERATOR_HOLD') return { kind: 'change', change: { kind: 'release', pendingReason: 'CAPACITY', by: caller.by } }
  if (job.status === 'queued') return { kind: 'noop' }
  return invalid(`job ${job.id} is blocked by the scheduler (${job.pendingReason ?? 'unknown'}); it is re-evaluated every cycle`)
}
