import type { TenantQuota } from '../../store/dashboard-repository.ts'
import { defineAlertRule, type Findings } from './alert-rule-kind.ts'

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

export const quotaBreachRule = defineAlertRule({
  type: 'quota_breach',
  // Percent of the tenant's quota in use; the scheduler never lets it pass 100.
  threshold: { unit: 'percent', label: 'percent of quota', min: 1, max: 100, integer: false },
  defaults: { threshold: 90, enabled: true, description: 'A tenant has threshold percent or more of its GPU quota in use' },
  read: store => store.dashboard.tenantQuotas(),
  judge: quotaBreaches,
})
