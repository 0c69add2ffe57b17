import type { PlanTier, TenantStatus } from '../../shared/wire/enums.ts'
/**
 * Tenant storage (seed 003 "Tenant Management"), async so SQLite and PostgreSQL serve the same
 * interface. Times are UTC epoch milliseconds. Usage counts are live: read from jobs and
 * job_gpus in the same query, never cached in the tenants table.
 */

export { PLAN_TIERS, type PlanTier } from '../../shared/wire/enums.ts'
export { TENANT_STATUSES, type TenantStatus } from '../../shared/wire/enums.ts'

export interface Tenant {
  id: number
  name: string
  planTier: PlanTier
  gpuQuota: number
  contactEmail: string | null
  status: TenantStatus
  createdAt: number
  updatedAt: number
}

export interface TenantUsage {
  /** GPUs held right now by the tenant's running jobs (job_gpus rows not yet released). */
  gpusInUse: number
  runningJobs: number
  /** Jobs waiting to start, whatever the reason (status queued or blocked). */
  queuedJobs: number
  /** Of queuedJobs, those in status blocked. */
  blockedJobs: number
}

export type TenantWithUsage = Tenant & TenantUsage

export interface TenantInput {
  name: string
  gpuQuota: number
  contactEmail?: string | null | undefined
  planTier?: PlanTier | undefined
  status?: TenantStatus | undefined
}

/** Fields left undefined keep their stored value. */
export interface TenantPatch {
  name?: string | undefined
  gpuQuota?: number | undefined
  contactEmail?: string | null | undefined
  planTier?: PlanTier | undefined
  status?: TenantStatus | undefined
}

export type TenantUpdateResult =
  | { ok: true, tenant: TenantWithUsage }
  | { ok: false, reason: 'not_found' | 'name_taken' }

export type TenantDeleteResult =
  | { ok: true, unlinkedJobs: number, cancelledJobs: number }
  | { ok: false, reason: 'not_found' }
  /** Another domain's rows (e.g. invoices) still point at the tenant; nothing was changed. */
  | { ok: false, reason: 'referenced' }

export interface TenantRepository {
  /** null when the name is taken (names are unique). */
  create: (input: TenantInput, at: number) => Promise<TenantWithUsage | null>
  get: (id: number) => Promise<TenantWithUsage | null>
  /** Ordered by id; `id` narrows the list to one tenant (a tenant-bound caller's view). */
  list: (filter?: { id?: number | undefined }) => Promise<TenantWithUsage[]>
  update: (id: number, patch: TenantPatch, at: number) => Promise<TenantUpdateResult>
  /**
   * One transaction (seed 003: "unlinks all associated jobs"): cancels its waiting jobs (status
   * queued/blocked → cancelled, with an 'ended' event), sets tenant_id = NULL on all its jobs,
   * running ones included (they keep running, for no tenant), records the tenant in
   * deleted_tenants (id, name, deleted_at) and each job's deleted_tenant_id, then deletes the
   * tenant. Its GPU time up to the delete stays billable to its id (billing's getTenant and
   * meterIntervals); a deleted tenant's id is never given to a new tenant.
   */
  delete: (id: number, at: number) => Promise<TenantDeleteResult>
}
