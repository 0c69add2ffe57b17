import type { MeteredInterval } from '../store/billing-repository.ts'
import { apportionCents } from './apportion-cents.ts'
import { costCents } from './money.ts'
import { matchRate, type Rate } from '../match-rate.ts'
import { DAY_MS, startOfUtcDay } from './utc-days.ts'

/** GPU time and its price; amountCents is null for unpriced usage (no rate matched). */
export interface PricedPart {
  gpuMs: number
  amountCents: number | null
}

/** One tenant's usage of one rate (or of one unpriced model) over a window: the unit priced. */
export interface UsageLine extends PricedPart {
  tenantId: number | null
  /** The rate key (H100); for unpriced usage the raw model name, null if the model is unknown. */
  gpuType: string | null
  centsPerGpuHour: number | null
  /** UTC midnight → this line's GPU time that day, priced alone (the unit priced), oldest first; days sum to the line. */
  days: Map<number, PricedPart>
  /** Job id → this line's share of that job; shares sum to the line. */
  jobs: Map<number, PricedPart>
}

interface Acc {
  tenantId: number | null
  rate: Rate | null
  gpuType: string | null
  gpuMs: number
  dayMs: Map<number, number>
  jobMs: Map<number, number>
}

const add = (m: Map<number, number>, k: number, v: number): void => { m.set(k, (m.get(k) ?? 0) + v) }

/** Spreads a line's cents over its jobs (apportionCents) so the breakdown adds up exactly. */
function shares (parts: Map<number, number>, amountCents: number | null): Map<number, PricedPart> {
  const keys = [...parts.keys()].sort((a, b) => a - b)
  const ms = keys.map(k => parts.get(k) ?? 0)
  const cents = amountCents === null ? null : apportionCents(amountCents, ms)
  return new Map(keys.map((k, i) => [k, { gpuMs: ms[i] ?? 0, amountCents: cents === null ? null : cents[i] ?? 0 }]))
}

/**
 * Prices clipped GPU intervals: groups them into lines per (tenant, rate) and splits each by
 * UTC day (an interval spanning midnight is split at 00:00 UTC to the millisecond). The unit
 * priced is one line's day (costCents: half-up on that day's GPU-ms), and a line costs the sum
 * of its days, so a day costs the same cents in usage over any window and in an invoice over
 * any period that holds it. The line's cents are then apportioned over its jobs. GPU models
 * no rate matches form their own unpriced lines (amount null), so usage is never silently
 * priced at 0. Lines come sorted by tenant (null last), priced first, type.
 */
export function meterUsage (intervals: readonly MeteredInterval[], rates: readonly Rate[]): UsageLine[] {
  const accs = new Map<string, Acc>()
  for (const iv of intervals) {
    if (iv.end <= iv.start) continue
    const rate = matchRate(iv.gpuModel, rates)
    const gpuType = rate?.gpuType ?? iv.gpuModel
    const key = JSON.stringify([iv.tenantId, rate === null, gpuType])
    let acc = accs.get(key)
    if (acc === undefined) {
      acc = { tenantId: iv.tenantId, rate, gpuType, gpuMs: 0, dayMs: new Map(), jobMs: new Map() }
      accs.set(key, acc)
    }
    acc.gpuMs += iv.end - iv.start
    add(acc.jobMs, iv.jobId, iv.end - iv.start)
    for (let day = startOfUtcDay(iv.start); day < iv.end; day += DAY_MS) {
      add(acc.dayMs, day, Math.min(iv.end, day + DAY_MS) - Math.max(iv.start, day))
    }
  }
  const lines = [...accs.values()].map((a): UsageLine => {
    const rate = a.rate
    const days = [...a.dayMs.keys()].sort((x, y) => x - y).map((day): [number, PricedPart] => {
      const gpuMs = a.dayMs.get(day) ?? 0
      return [day, { gpuMs, amountCents: rate === null ? null : costCents(gpuMs, rate.centsPerGpuHour) }]
    })
    const amountCents = rate === null ? null : days.reduce((s, [, d]) => s + (d.amountCents ?? 0), 0)
    return {
      tenantId: a.tenantId,
      gpuType: a.gpuType,
      centsPerGpuHour: a.rate?.centsPerGpuHour ?? null,
      gpuMs: a.gpuMs,
      amountCents,
      days: new Map(days),
      jobs: shares(a.jobMs, amountCents),
    }
  })
  return lines.sort((x, y) =>
    (x.tenantId ?? Infinity) - (y.tenantId ?? Infinity) ||
    Number(x.amountCents === null) - Number(y.amountCents === null) ||
    String(x.gpuType ?? '\uffff').localeCompare(String(y.gpuType ?? '\uffff')))
}
