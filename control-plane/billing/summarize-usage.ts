import type { BillingWindow } from './billing-windows.ts'
import type { UsageLine } from './meter-usage.ts'
import { DAY_MS } from './utc-days.ts'

export interface TypeTotal {
  gpuType: string | null
  centsPerGpuHour: number | null
  gpuMs: number
  /** null: unpriced usage. */
  amountCents: number | null
}

export interface DayTotal {
  /** UTC midnight. */
  day: number
  /** All GPU time that day, priced or not. */
  gpuMs: number
  /** Priced usage only. */
  amountCents: number
  types: TypeTotal[]
}

export interface TenantTotal {
  tenantId: number | null
  gpuMs: number
  amountCents: number
  unpricedGpuMs: number
}

export interface UsageSummary {
  gpuMs: number
  /** Priced usage only; every breakdown below sums to it exactly. */
  amountCents: number
  unpricedGpuMs: number
  byGpuType: TypeTotal[]
  /** One entry per day of the window, empty days included, oldest first. */
  byDay: DayTotal[]
  byTenant: TenantTotal[]
}

const typeKey = (l: { gpuType: string | null, centsPerGpuHour: number | null }): string => JSON.stringify([l.centsPerGpuHour === null, l.gpuType])

function mergeType (into: Map<string, TypeTotal>, l: TypeTotal): void {
  const key = typeKey(l)
  const t = into.get(key)
  if (t === undefined) into.set(key, { ...l })
  else {
    t.gpuMs += l.gpuMs
    t.amountCents = t.amountCents === null || l.amountCents === null ? null : t.amountCents + l.amountCents
  }
}

/**
 * Totals of priced lines (meterUsage) by GPU type, UTC day and tenant. No rounding happens
 * here: amounts are sums of the lines' cents or of their apportioned shares, so all views agree.
 */
export function summarizeUsage (lines: readonly UsageLine[], window: BillingWindow): UsageSummary {
  const types = new Map<string, TypeTotal>()
  const tenants = new Map<number | null, TenantTotal>()
  const days = new Map<number, { gpuMs: number, amountCents: number, types: Map<string, TypeTotal> }>()
  for (let i = 0; i < window.days; i++) days.set(window.start + i * DAY_MS, { gpuMs: 0, amountCents: 0, types: new Map() })
  let gpuMs = 0
  let amountCents = 0
  let unpricedGpuMs = 0

  for (const l of lines) {
    gpuMs += l.gpuMs
    if (l.amountCents === null) unpricedGpuMs += l.gpuMs
    else amountCents += l.amountCents
    mergeType(types, { gpuType: l.gpuType, centsPerGpuHour: l.centsPerGpuHour, gpuMs: l.gpuMs, amountCents: l.amountCents })
    const t = tenants.get(l.tenantId) ?? { tenantId: l.tenantId, gpuMs: 0, amountCents: 0, unpricedGpuMs: 0 }
    t.gpuMs += l.gpuMs
    if (l.amountCents === null) t.unpricedGpuMs += l.gpuMs
    else t.amountCents += l.amountCents
    tenants.set(l.tenantId, t)
    for (const [day, part] of l.days) {
      let d = days.get(day)
      if (d === undefined) {
        // Intervals are clipped to the window, so this is only reached for a caller's window
        // that does not match the one metered; keep the data rather than drop it.
        d = { gpuMs: 0, amountCents: 0, types: new Map() }
        days.set(day, d)
      }
      d.gpuMs += part.gpuMs
      d.amountCents += part.amountCents ?? 0
      mergeType(d.types, { gpuType: l.gpuType, centsPerGpuHour: l.centsPerGpuHour, ...part })
    }
  }

  const sortTypes = (m: Map<string, TypeTotal>): TypeTotal[] => [...m.values()].sort((a, b) =>
    Number(a.amountCents === null) - Number(b.amountCents === null) || String(a.gpuType ?? '\uffff').localeCompare(String(b.gpuType ?? '\uffff')))
  return {
    gpuMs,
    amountCents,
    unpricedGpuMs,
    byGpuType: sortTypes(types),
    byDay: [...days.entries()].sort((a, b) => a[0] - b[0]).map(([day, d]) => ({ day, gpuMs: d.gpuMs, amountCents: d.amountCents, types: sortTypes(d.types) })),
    byTenant: [...tenants.values()].sort((a, b) => (a.tenantId ?? Infinity) - (b.tenantId ?? Infinity)),
  }
}
