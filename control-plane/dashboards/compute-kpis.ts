import type { AllocatedMinutes, GpuState, JobCounts, TenantQuota } from '../store/dashboard-repository.ts'
import { gpuHealthProblems } from '../fleet/gpu-health-problems.ts'
import { DASHBOARD_DEFINITIONS as D } from './dashboard-definitions.ts'
import { round1 } from './usage-cost.ts'

export interface KpiInputs {
  now: number
  gpus: readonly GpuState[]
  quotas: readonly TenantQuota[]
  jobs: JobCounts
  /** Held GPU-minutes in the last idle window and the one before it. */
  allocated: { current: AllocatedMinutes, previous: AllocatedMinutes }
  /** GPUs the leakage report lists as idle allocated now. */
  idleAllocatedGpus: number
  /** The health_degraded rule's threshold, so the KPI and the alert agree on "too hot". */
  healthThresholdC: number
  staleAfterMs: number
}

const pct = (part: number, whole: number): number => (whole === 0 ? 0 : round1((part / whole) * 100))
const share = (m: AllocatedMinutes): number => (m.gpuMinutes === 0 ? 0 : m.idleGpuMinutes / m.gpuMinutes)

/**
 * Seed 003's executive KPIs, exactly its keys (plus quota_utilization.tenants, the per-tenant
 * breakdown the seed's text promises). Definitions:
 * - fleet_utilization: GPUs on online nodes whose fresh reading is above 10 % / GPUs on online
 *   nodes with a fresh utilization reading (unknown_gpus: those without one, e.g. MIG-enabled
 *   GPUs, which report none); status good ≥ 60 %, warning ≥ 30 %, else critical.
 * - revenue_leakage: the share of held GPU-minutes in the last 30 min whose mean utilization was
 *   below 10 %, a hold's first 30 min left out (a job loading, as idle_allocated_gpus judges it); direction compares it with the 30 min before ("up" = more leakage, "flat" = same);
 *   idle_allocated_gpus as GET /api/dashboard/leakage lists them.
 * - quota_utilization: GPUs held by active tenants' running jobs / the sum of their quotas.
 * - fleet_health: GPUs on an online node with a fresh reading, below the health_degraded
 *   threshold and without uncorrectable ECC errors in their newest sample / all GPUs.
 * - active_jobs: jobs by status.
 */
export function computeKpis (k: KpiInputs) {
  const fresh = (g: GpuState): boolean => g.updatedAt !== null && g.updatedAt >= k.now - k.staleAfterMs
  const online = k.gpus.filter(g => g.nodeStatus === 'online')
  const active = online.filter(g => fresh(g) && g.utilizationPct !== null && g.utilizationPct > D.activeAbovePct).length
  // A GPU without a fresh utilization (MIG-enabled GPUs report none) is not idle: it stays out
  // of the share rather than dragging it down as if it were.
  const unknown = online.filter(g => !fresh(g) || g.utilizationPct === null).length
  const utilization = pct(active, online.length - unknown)

  const current = share(k.allocated.current)
  const previous = share(k.allocated.previous)

  const tenants = k.quotas.filter(q => q.status === 'active')
  const inUse = tenants.reduce((n, q) => n + q.gpusInUse, 0)
  const quota = tenants.reduce((n, q) => n + q.gpuQuota, 0)

  // The same judgement as the health_degraded alert (alerts/rules/health-degraded-rule.ts).
  const healthy = online.filter(g => fresh(g) &&
    !(g.temperatureC !== null && g.temperatureC >= k.healthThresholdC) &&
    !(g.eccUncorrected !== null && g.eccUncorrected > 0) &&
    gpuHealthProblems(g.health, k.now).length === 0).length

  return {
    fleet_utilization: {
      percentage: utilization,
      active_gpus: active,
      total_gpus: online.length,
      status: utilization >= D.utilizationGoodPct ? 'good' as const : utilization >= D.utilizationWarningPct ? 'warning' as const : 'critical' as const,
      unknown_gpus: unknown,
    },
    revenue_leakage: {
      percentage: round1(current * 100),
      idle_allocated_gpus: k.idleAllocatedGpus,
      direction: current > previous ? 'up' as const : current < previous ? 'down' as const : 'flat' as const,
    },
    quota_utilization: {
      percentage: pct(inUse, quota),
      gpus_in_use: inUse,
      total_quota: quota,
      tenants: tenants.map(q => ({
        tenant_id: q.tenantId, name: q.name, gpus_in_use: q.gpusInUse, gpu_quota: q.gpuQuota, percentage: pct(q.gpusInUse, q.gpuQuota),
      })),
    },
    fleet_health: {
      healthy,
      total: k.gpus.length,
      status: healthy === k.gpus.length ? 'healthy' as const : 'has_issues' as const,
    },
    active_jobs: { running: k.jobs.running, queued: k.jobs.queued, blocked: k.jobs.blocked },
  }
}
