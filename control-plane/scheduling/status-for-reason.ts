import type { PendingReason, WaitingStatus } from '../store/job-repository.ts'

// Reasons that only wait for GPUs to be there and free; every other one is a limit or a hold.
const WAITING_FOR_GPUS: ReadonlySet<PendingReason> = new Set<PendingReason>(['CAPACITY', 'PRIORITY', 'NODE_NOT_REPORTING', 'NODE_OFFLINE', 'NODE_DRAINED'])

/**
 * The seed's status for each typed reason: `blocked` when a limit stops the job (its tenant's
 * quota or status, the cluster's size, an operator's hold), as seed 003 inserts jobs that
 * exceed limits; `queued` when it only waits for GPUs (capacity, a higher-priority job ahead
 * of it, or nodes that are offline, not reporting or drained). Every reason but OPERATOR_HOLD is
 * re-evaluated each cycle.
 */
export function statusForReason (reason: PendingReason): WaitingStatus {
  return WAITING_FOR_GPUS.has(reason) ? 'queued' : 'blocked'
}
