import type { Rate } from '../match-rate.ts'

/**
 * Money in gpufleet: GPU time × the rate card's integer cents per GPU-hour, in integer cents.
 *
 * - Exact first. GPU-milliseconds × cents per GPU-hour is an integer count of 1/3 600 000 cent;
 *   such exact costs add without error. BigInt, because 90 days × 8 000 GPUs × 599 ¢ (≈ 3.7e16)
 *   passes Number's 2^53.
 * - Rounded once per line: a line is GPU time at one rate (one rate-card entry), and its exact
 *   cost is rounded half up to a whole cent. Billing's line is one tenant's GPU time at one rate
 *   in one UTC day (meterUsage), so a day costs the same in usage and in any invoice; an invoice
 *   or a tenant's usage costs the sum of its lines. The dashboards and analytics (usageCost,
 *   priceJob, the daily summary) price a window as one line per rate, so their figures can
 *   differ from the invoices of the same days by the rounding of the days (under a cent per
 *   rate and day).
 * - Breakdowns of a line never round again: apportionCents splits its cents.
 * - Dollars (cents / 100) only at the HTTP edge.
 */

const MS_PER_HOUR = 3_600_000n

function nonNegativeInteger (name: string, value: number): bigint {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
  return BigInt(value)
}

/** The exact cost of `gpuMs` at `centsPerGpuHour`, in 1/3 600 000 cent. */
export function exactCost (gpuMs: number, centsPerGpuHour: number): bigint {
  return nonNegativeInteger('costCents: gpuMs', gpuMs) * nonNegativeInteger('costCents: centsPerGpuHour', centsPerGpuHour)
}

/** An exact cost (1/3 600 000 cent) rounded half up to whole cents: 0.5 ¢ → 1, 2.5 ¢ → 3. */
export function wholeCents (exact: bigint): number {
  return Number((exact * 2n + MS_PER_HOUR) / (2n * MS_PER_HOUR))
}

/** One line's price: round_half_up(gpu_ms × cents_per_gpu_hour ÷ 3 600 000). */
export function costCents (gpuMs: number, centsPerGpuHour: number): number {
  return wholeCents(exactCost(gpuMs, centsPerGpuHour))
}

/**
 * GPU time collected per rate (one line per rate-card entry, keyed by its GPU type), exact until
 * cents() rounds each line once and sums them. Empty until something priced is added.
 */
export class Charges {
  #lines = new Map<string, bigint>()

  add (gpuMs: number, rate: Rate): void {
    this.#lines.set(rate.gpuType, (this.#lines.get(rate.gpuType) ?? 0n) + exactCost(gpuMs, rate.centsPerGpuHour))
  }

  get empty (): boolean {
    return this.#lines.size === 0
  }

  cents (): number {
    let sum = 0
    for (const exact of this.#lines.values()) sum += wholeCents(exact)
    return sum
  }
}

export const dollars = (cents: number): number => cents / 100
export const dollarsOrNull = (cents: number | null): number | null => (cents === null ? null : cents / 100)
