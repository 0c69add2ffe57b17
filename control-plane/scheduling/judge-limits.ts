import type { PendingReason, WaitVerdict } from '../store/job-repository.ts'
import type { TenantStatus } from '../store/tenant-repository.ts'
import { statusForReason } from './status-for-reason.ts'

export interface LimitInput {
  gpuCount: number
  gpuType: string | null
  clusterId: number
  /**
   * The most GPUs the job can ever get in the cluster (any node state: an offline node may
   * return): matching GPUs of one model, or of all models for gpu_type "any".
   */
  clusterCapacity: number
  /** Matching GPUs of all models together, when more than clusterCapacity (models do not mix). */
  mixedCapacity?: number
  tenant: { gpuQuota: number, status: TenantStatus, gpusInUse: number } | null
}

const verdict = (reason: PendingReason, blockReason: string | null): WaitVerdict =>
  ({ status: statusForReason(reason), pendingReason: reason, blockReason })

/**
 * The limits a job is held to at submission and again in every cycle, most permanent first:
 * a job that can never fit as asked (more GPUs than its tenant's quota, or than the cluster
 * has of its type), a paused tenant, then the tenant's quota with what it runs now. null
 * when none stops it. The human block_reason text stays the same while the cause does, so a
 * cycle rewrites a job only when its situation changed.
 */
export function judgeLimits (input: LimitInput): WaitVerdict | null {
  const { gpuCount, tenant } = input
  if (tenant !== null && gpuCount > tenant.gpuQuota) {
    return verdict('NEVER_FITS_QUOTA', `gpu_count ${gpuCount} exceeds the tenant's GPU quota of ${tenant.gpuQuota}`)
  }
  if (gpuCount > input.clusterCapacity) {
    let what = input.gpuType === null || input.gpuType.trim() === '' ? 'GPUs' : `GPUs matching "${input.gpuType}"`
    if (input.mixedCapacity !== undefined && input.mixedCapacity > input.clusterCapacity) {
      what += ` of one model (${input.mixedCapacity} with models mixed: gpu_type "any")`
    }
    return verdict('NEVER_FITS_CLUSTER', `gpu_count ${gpuCount} exceeds the ${input.clusterCapacity} ${what} in cluster ${input.clusterId}`)
  }
  if (tenant !== null && tenant.status !== 'active') return verdict('TENANT_INACTIVE', 'the tenant is inactive')
  if (tenant !== null && tenant.gpusInUse + gpuCount > tenant.gpuQuota) {
    return verdict('QUOTA', `waiting for the tenant's GPU quota of ${tenant.gpuQuota}`)
  }
  return null
}
