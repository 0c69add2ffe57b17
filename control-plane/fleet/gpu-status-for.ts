import type { GpuStatus } from '../store/fleet-repository.ts'

/** Seed 003: a GPU is "active" above 10 % utilization, else "idle". */
export const ACTIVE_ABOVE_PCT = 10

/**
 * A null utilization (the driver said [N/A], as every MIG-enabled GPU does, or no reading
 * yet) is `unknown`, never idle: a MIG GPU drawing 432 W reports no utilization at all, and
 * the scheduler, leakage and alerts must not take it for a free or wasted GPU.
 */
export function gpuStatusFor (utilizationPct: number | null): GpuStatus {
  if (utilizationPct === null) return 'unknown'
  return utilizationPct > ACTIVE_ABOVE_PCT ? 'active' : 'idle'
}
