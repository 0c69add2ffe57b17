import type { HeldGpuUtilization } from '../store/dashboard-repository.ts'
import { DASHBOARD_DEFINITIONS as D } from './dashboard-definitions.ts'

/**
 * Seed 003's idle allocated GPU: held by a running job for the whole idle window (a job's
 * first minutes of loading are not leakage) with samples in it averaging below 10 %.
 * `h` is the store's utilization over [now - window, now). A minute without any utilization
 * reading (a MIG GPU's [N/A]) is unknown, not idle: such a GPU is never idle allocated.
 */
export function isIdleAllocated (h: HeldGpuUtilization, now: number): boolean {
  return h.assignedAt <= now - D.idleWindowMs && h.samples > 0 && h.unknownMinutes === 0 && h.meanPct !== null && h.meanPct < D.idleBelowPct
}
