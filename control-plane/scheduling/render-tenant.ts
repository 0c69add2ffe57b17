import type { TenantWithUsage } from '../store/tenant-repository.ts'
import { iso } from '../fleet/render-fleet.ts'

/** A tenant as seed 003's list shows it (its fields first, in its order), then the rest. */
export function tenantJson (t: TenantWithUsage) {
  return {
    id: t.id,
    name: t.name,
    plan_tier: t.planTier,
    gpu_quota: t.gpuQuota,
    gpus_in_use: t.gpusInUse,
    running_jobs: t.runningJobs,
    queued_jobs: t.queuedJobs,
    status: t.status,
    blocked_jobs: t.blockedJobs,
    contact_email: t.contactEmail,
    created_at: iso(t.createdAt) as string,
    updated_at: iso(t.updatedAt) as string,
  }
}
