/**
 * The closed vocabularies on the wire. The store keeps them as columns (and re-exports them
 * from its repositories), the schemas validate and document them, the SDK types them: one
 * list each, here, so all three agree. Values are the seed's; never rename one.
 */

/**
 * 'unknown': the newest reading has no utilization (MIG-enabled GPUs print [N/A]) or there is
 * none yet. Never free for the scheduler, never counted idle.
 */
export const GPU_STATUSES = ['idle', 'active', 'unknown'] as const
export type GpuStatus = typeof GPU_STATUSES[number]

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'blocked'] as const
export type JobStatus = typeof JOB_STATUSES[number]
export const JOB_KINDS = ['training', 'benchmark', 'compute', 'inference', 'endpoint'] as const
export type JobKind = typeof JOB_KINDS[number]

/**
 * Why a job is not running (jobs.pending_reason; null while running or ended), in the spirit of
 * Slurm's pending reasons. The contract's six plus TENANT_INACTIVE (a paused tenant),
 * TENANT_QUEUE (behind an earlier job of its tenant that waits on QUOTA), NODE_NOT_REPORTING
 * (it would fit on GPUs whose online node sent no reading for 60 s) and NODE_OFFLINE (only
 * offline nodes have enough matching GPUs).
 */
export const PENDING_REASONS = [
  'QUOTA', 'CAPACITY', 'PRIORITY', 'NEVER_FITS_QUOTA', 'NEVER_FITS_CLUSTER', 'OPERATOR_HOLD', 'TENANT_INACTIVE',
  'TENANT_QUEUE', 'NODE_NOT_REPORTING', 'NODE_OFFLINE',
  // Fits only on drained nodes (POST /api/nodes/:id/drain); starts once one is resumed.
  'NODE_DRAINED',
] as const
export type PendingReason = typeof PENDING_REASONS[number]

/**
 * Why a job ended other than by a caller's PATCH (jobs.end_reason; null otherwise), as `failed`:
 * NODE_FAIL: its node stayed offline past the grace period; TIMEOUT: it ran past its
 * time_limit_min (Slurm's TIMEOUT). An executed job's agent adds (job-execution.ts
 * RUN_FAILURES): EXIT_CODE (exited non-zero), SIGNAL (a signal ended it), LAUNCH_FAILED (it
 * never started).
 */
export const END_REASONS = ['NODE_FAIL', 'TIMEOUT', 'EXIT_CODE', 'SIGNAL', 'LAUNCH_FAILED'] as const
export type EndReason = typeof END_REASONS[number]

export const PLAN_TIERS = ['starter', 'pro', 'growth', 'enterprise'] as const
export type PlanTier = typeof PLAN_TIERS[number]
export const TENANT_STATUSES = ['active', 'inactive'] as const
export type TenantStatus = typeof TENANT_STATUSES[number]

export const INVOICE_STATUSES = ['pending', 'paid', 'overdue'] as const
export type InvoiceStatus = typeof INVOICE_STATUSES[number]

