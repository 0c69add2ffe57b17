import type { TenantQuota } from '../store/dashboard-repository.ts'
import type { Findings } from './alert-rule-types.ts'

/** quota_breach, threshold = percent: a tenant with at least that share of its GPU quota held by its running jobs. */
export function quotaBreaches (quotas: readonly TenantQuota[], thresholdPct: number): Findings {
  const out: Findings = { breaches: [], unknown: [] }
  for (const q of quotas) {
    const pct = (q.gpusInUse / q.gpuQuota) * 100
    if (q.gpusInUse === 0 || pct < thresholdPct) continue
    out.breaches.push({
      subject: { type: 'tenant', id: q.tenantId, name: q.name },
      tenantId: q.tenantId,
      message: `Tenant ${q.name} uses ${q.gpusInUse} of ${q.gpuQuota} GPUs (${Math.round(pct * 10) / 10}% of quota, threshold ${thresholdPct}%)`,
    })
  }
  return out
}
