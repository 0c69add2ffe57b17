import { DAY_MS, startOfUtcDay } from './utc-days.ts'

export interface BillingWindow {
  /** Inclusive, a UTC midnight. */
  start: number
  /** Exclusive. */
  end: number
  /** The window's UTC days, oldest first (the last may be partial). */
  days: number
}

/**
 * Usage and revenue look back over `days` UTC calendar days including today, up to now:
 * [00:00 UTC of (today − days + 1), now). Every day of the window is one bucket of the
 * by-day breakdown; today's bucket is partial.
 */
export function usageWindow (now: number, days: number): BillingWindow {
  return { start: startOfUtcDay(now) - (days - 1) * DAY_MS, end: now, days }
}

/**
 * An invoice bills whole UTC days: the `days` complete days before today,
 * [00:00 UTC of (today − days), 00:00 UTC today). The period depends only on the UTC date of
 * `now`, so every call on one day names the same period (idempotency) and a bill never
 * holds a partial day that would still grow.
 */
export function invoicePeriod (now: number, days: number): BillingWindow {
  const end = startOfUtcDay(now)
  return { start: end - days * DAY_MS, end, days }
}
