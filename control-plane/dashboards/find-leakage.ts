import { matchRate, type Rate } from '../match-rate.ts'
import { costCents, dollars } from '../billing/money.ts'
import type { HeldGpuUtilization, InvoiceRecord, ModelUsage, TenantUtilization } from '../store/dashboard-repository.ts'
import type { StoredProcess } from '../store/process-repository.ts'
import { DASHBOARD_DEFINITIONS as D } from './dashboard-definitions.ts'
import { isIdleAllocated } from './is-idle-allocated.ts'
import { round1, round2, usageCost } from './usage-cost.ts'

export interface LeakageInputs {
  now: number
  rates: readonly Rate[]
  /** Held GPUs' utilization over the last idle window. */
  held: readonly HeldGpuUtilization[]
  /** Invoices to check, each with the usage metered over its period. */
  invoices: ReadonlyArray<{ invoice: InvoiceRecord, metered: readonly ModelUsage[] }>
  /** Tenants' utilization over the last 24 h. */
  tenants: readonly TenantUtilization[]
  /** Unallocated and outside-allocation GPU processes of fresh process reports (issue 15). */
  flaggedProcesses?: readonly StoredProcess[] | undefined
}

const iso = (ms: number): string => new Date(ms).toISOString()
const hours = (seconds: number): number => round2(seconds / 3600)

/**
 * Seed 003's three leakage findings, each with an estimated loss in dollars:
 * - idle allocated GPUs: held by a running job for the whole last 30 min at < 10 % mean
 *   utilization; loss = the window's GPU time at the card rate (capacity sold but unused).
 * - billing gaps: invoices whose amount differs by > 5 % from the usage metered over their
 *   period, less time earlier invoices of the tenant billed (the router's meteredFor), at
 *   today's card rates (a rate change after invoicing shows as a gap too); loss = the
 *   under-billed part (over-billing is flagged with loss 0).
 * - underutilized tenants: < 30 % mean utilization of the GPUs their jobs held over 24 h;
 *   loss = the held GPU time's cost × the unused share.
 * And issue 15's unallocated GPU use: a compute process on a GPU no running job holds, or a
 * job's process outside its allocation, as the agents last reported them; no loss estimate
 * (nobody is metered for that GPU time), so the totals leave it out.
 */
export function findLeakage (k: LeakageInputs) {
  const idle = k.held
    .filter(h => isIdleAllocated(h, k.now))
    .map(h => {
      const rate = matchRate(h.model, k.rates)
      return {
        gpu_id: h.gpuId,
        node_id: h.nodeId,
        hostname: h.hostname,
        gpu_index: h.gpuIndex,
        model: h.model,
        job_id: h.jobId,
        job_name: h.jobName,
        tenant_id: h.tenantId,
        tenant_name: h.tenantName,
        allocated_since: iso(h.assignedAt),
        mean_utilization_pct: round1(h.meanPct ?? 0),
        samples: h.samples,
        rate_per_gpu_hour: rate === null ? null : dollars(rate.centsPerGpuHour),
        estimated_loss_usd: rate === null ? null : dollars(costCents(D.idleWindowMs, rate.centsPerGpuHour)),
      }
    })

  const gaps = k.invoices.flatMap(({ invoice: i, metered }) => {
    const cost = usageCost(metered, k.rates)
    const billed = i.amountCents
    const meteredCents = cost.cents
    if (meteredCents === billed) return []
    const discrepancy = meteredCents === 0 ? 100 : (Math.abs(meteredCents - billed) / meteredCents) * 100
    if (discrepancy <= D.billingGapPct) return []
    return [{
      invoice_id: i.id,
      tenant_id: i.tenantId,
      tenant_name: i.tenantName,
      invoice_status: i.status,
      period_start: iso(i.periodStart),
      period_end: iso(i.periodEnd),
      metered_gpu_hours: hours(cost.gpuSeconds),
      unpriced_gpu_hours: hours(cost.unpricedGpuSeconds),
      metered_amount: dollars(meteredCents),
      billed_amount: dollars(billed),
      discrepancy_pct: round1(discrepancy),
      direction: billed < meteredCents ? 'under_billed' as const : 'over_billed' as const,
      estimated_loss_usd: dollars(Math.max(0, meteredCents - billed)),
    }]
  })

  const under = k.tenants
    .filter(t => t.samples > 0 && t.meanPct !== null && t.meanPct < D.underutilizedBelowPct)
    .map(t => {
      const cost = usageCost(t.usage, k.rates)
      const mean = t.meanPct ?? 0
      return {
        tenant_id: t.tenantId,
        tenant_name: t.name,
        gpu_hours: hours(cost.gpuSeconds),
        mean_utilization_pct: round1(mean),
        samples: t.samples,
        cost_usd: dollars(cost.cents),
        // An estimate, not a line: rounded to the cent where shown.
        estimated_loss_usd: dollars(Math.round(cost.cents * (1 - mean / 100))),
      }
    })

  const unallocated = (k.flaggedProcesses ?? []).map(p => ({
    kind: p.verdict === 'outside_allocation' ? 'outside_allocation' as const : 'unallocated' as const,
    node_id: p.nodeId,
    hostname: p.hostname,
    gpu_id: p.gpuId,
    gpu_index: p.gpuIndex,
    gpu_uuid: p.gpuUuid,
    pid: p.pid,
    process_name: p.processName,
    used_memory_mib: p.usedMemoryMib,
    job_id: p.jobId,
    tenant_id: p.tenantId,
    since: iso(p.flaggedSince ?? p.seenAt),
  }))

  const loss = [...idle, ...gaps, ...under].reduce((sum, f) => sum + (f.estimated_loss_usd ?? 0), 0)
  return {
    generated_at: iso(k.now),
    windows: {
      idle_minutes: D.idleWindowMs / 60_000,
      idle_below_pct: D.idleBelowPct,
      underutilized_hours: D.underutilizedWindowMs / 3600_000,
      underutilized_below_pct: D.underutilizedBelowPct,
      billing_gap_pct: D.billingGapPct,
      billing_lookback_days: D.billingLookbackMs / 86_400_000,
    },
    idle_allocated_gpus: idle,
    billing_gaps: gaps,
    underutilized_tenants: under,
    unallocated_gpu_use: unallocated,
    totals: {
      idle_allocated_gpus: idle.length,
      billing_gaps: gaps.length,
      underutilized_tenants: under.length,
      estimated_loss_usd: round2(loss),
    },
  }
}
