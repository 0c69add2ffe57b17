import type { PendingReason, WaitingStatus } from '../store/job-repository.ts'

/**
 * The seed's status for each typed reason: `blocked` when a limit stops the job (its tenant's
 * quota or status, the cluster's size, an operator's hold), as seed 003 inserts jobs that
 * exceed limits; `queued` when it only waits for GPUs (capacity, or a higher-priority job
 * ahead of it, a drained node). Every reason but OPERATOR_HOLD is re-evaluated each cycle.
 */
export function statusForReason (reason: PendingReason): WaitingStatus {
  return reason === 'CAPACITY' || reason === 'PRIORITY' || reason === 'NODE_DRAINED' ? 'queued' : 'blocked'
}
