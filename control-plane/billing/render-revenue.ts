import type { StatusTotal, TenantRef } from '../store/billing-repository.ts'
import type { BillingWindow } from './billing-windows.ts'
import type { UsageLine } from './meter-usage.ts'
import { dollars, dollarsOrNull } from './money.ts'
import { countedMoneyJson, hours, iso } from './render-billing.ts'
import { summarizeUsage } from './summarize-usage.ts'
import { utcDate } from './utc-days.ts'

export interface RevenueInput {
  window: BillingWindow
  /** Metered over `window` (meterUsage), every tenant's and tenant-less jobs' lines. */
  lines: readonly UsageLine[]
  /** Tenants listed per_tenant (each appears, usage or not). */
  tenants: readonly TenantRef[]
  /** Totals of the invoices created in the window (invoiceTotals), shown alongside revenue. */
  invoiced: readonly StatusTotal[]
}

/**
 * GET /api/dashboard/revenue's body. Revenue is what metered usage is worth at the current
 * rates (tenant jobs only); every breakdown is a sum of the same priced lines, so per-tenant,
 * per-type and daily figures all add up to total_revenue exactly.
 */
export function renderRevenue ({ window, lines, tenants, invoiced }: RevenueInput) {
  const attributed = lines.filter(l => l.tenantId !== null)
  const sum = summarizeUsage(attributed, window)
  const orphan = summarizeUsage(lines.filter(l => l.tenantId === null), window)
  const usageByTenant = new Map(sum.byTenant.map(t => [t.tenantId, t]))
  const invoicedBy = (id: number | null) => {
    const mine = invoiced.filter(t => id === null || t.tenantId === id)
    return countedMoneyJson(mine.reduce((s, t) => s + t.amountCents, 0), mine.reduce((s, t) => s + t.count, 0))
  }
  const names = new Map(tenants.map(t => [t.id, t.name]))
  // Tenants with usage but missing from `tenants` (created since the list was read) still show.
  const ids = [...new Set([...tenants.map(t => t.id), ...sum.byTenant.map(t => t.tenantId).filter((x): x is number => x !== null)])].sort((a, b) => a - b)

  return {
    days: window.days,
    window: { start: iso(window.start), end: iso(window.end) },
    currency: 'usd',
    total_revenue: dollars(sum.amountCents),
    total_revenue_cents: sum.amountCents,
    total_gpu_hours: hours(sum.gpuMs),
    unpriced_gpu_hours: hours(sum.unpricedGpuMs),
    invoiced: invoicedBy(null),
    per_tenant: ids.map(id => {
      const u = usageByTenant.get(id)
      return {
        tenant_id: id,
        tenant_name: names.get(id) ?? '',
        gpu_hours: hours(u?.gpuMs ?? 0),
        revenue: dollars(u?.amountCents ?? 0),
        revenue_cents: u?.amountCents ?? 0,
        unpriced_gpu_hours: hours(u?.unpricedGpuMs ?? 0),
        invoiced: invoicedBy(id),
      }
    }),
    by_gpu_type: sum.byGpuType.map(t => ({
      gpu_type: t.gpuType,
      priced: t.centsPerGpuHour !== null,
      price_per_hour: dollarsOrNull(t.centsPerGpuHour),
      gpu_hours: hours(t.gpuMs),
      revenue: dollarsOrNull(t.amountCents),
      revenue_cents: t.amountCents,
    })),
    daily_trend: sum.byDay.map(d => ({ date: utcDate(d.day), gpu_hours: hours(d.gpuMs), revenue: dollars(d.amountCents), revenue_cents: d.amountCents })),
    unattributed: {
      gpu_hours: hours(orphan.gpuMs),
      revenue: dollars(orphan.amountCents),
      revenue_cents: orphan.amountCents,
      unpriced_gpu_hours: hours(orphan.unpricedGpuMs),
    },
  }
}
