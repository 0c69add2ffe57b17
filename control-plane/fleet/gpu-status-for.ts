import type { GpuStatus } from '../store/fleet-repository.ts'

/** Seed 003: a GPU is "active" above 10 % utilization, else "idle" (unknown counts as idle). */
export const ACTIVE_ABOVE_PCT = 10

export function gpuStatusFor (utilizationPct: number | null): GpuStatus {
  return utilizationPct !== null && utilizationPct > ACTIVE_ABOVE_PCT ? 'active' : 'idle'
}
