import { matchRate, type Rate } from '../match-rate.ts'
import type { ModelUsage } from '../store/dashboard-repository.ts'

export interface UsageCost {
  gpuSeconds: number
  /** Unrounded: round once, where it is shown. */
  cents: number
  /** GPU time on models the rate card does not price. */
  unpricedGpuSeconds: number
}

/** GPU time × the rate card (cents per GPU-hour, matched by model name). */
export function usageCost (usage: readonly ModelUsage[], rates: readonly Rate[]): UsageCost {
  const out: UsageCost = { gpuSeconds: 0, cents: 0, unpricedGpuSeconds: 0 }
  for (const u of usage) {
    out.gpuSeconds += u.gpuSeconds
    const rate = matchRate(u.gpuModel, rates)
    if (rate === null) out.unpricedGpuSeconds += u.gpuSeconds
    else out.cents += (u.gpuSeconds * rate.centsPerGpuHour) / 3600
  }
  return out
}

export const round1 = (x: number): number => Math.round(x * 10) / 10
export const round2 = (x: number): number => Math.round(x * 100) / 100
/** Integer-cent money on the wire as dollars, like seed 003's invoice amounts. */
export const usd = (cents: number): number => Math.round(cents) / 100
