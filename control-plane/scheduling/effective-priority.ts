/**
 * Priority aging: a waiting job gains one priority step (priority 1 is the highest) per
 * `stepMs` since it was submitted, at most `maxSteps` steps, never past priority 1. With the
 * defaults (one step per 30 min, up to 9) every job ranks as priority 1 after waiting
 * (priority − 1) × 30 min, and then goes ahead of everything submitted after it: a stream of
 * higher-priority jobs can delay it, never starve it. `maxSteps: 0` turns aging off.
 */
export interface AgingPolicy {
  stepMs: number
  maxSteps: number
}

export const DEFAULT_AGING: Readonly<AgingPolicy> = Object.freeze({ stepMs: 30 * 60_000, maxSteps: 9 })

/** Checks an aging policy once, when the scheduler is built; the message names the option. */
export function checkAging (aging: AgingPolicy): Readonly<AgingPolicy> {
  if (!Number.isFinite(aging.stepMs) || aging.stepMs <= 0) throw new TypeError(`aging.stepMs must be a positive number of ms, got ${aging.stepMs}`)
  if (!Number.isInteger(aging.maxSteps) || aging.maxSteps < 0) throw new TypeError(`aging.maxSteps must be a whole number ≥ 0, got ${aging.maxSteps}`)
  return Object.freeze({ stepMs: aging.stepMs, maxSteps: aging.maxSteps })
}

/** The priority a job is ordered by after waiting `waitedMs` (a clock behind the submit time ages nothing). */
export function effectivePriority (priority: number, waitedMs: number, aging: AgingPolicy): number {
  const steps = Math.min(aging.maxSteps, Math.floor(Math.max(0, waitedMs) / aging.stepMs))
  return Math.max(1, priority - steps)
}
