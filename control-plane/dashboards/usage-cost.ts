import { matchRate, type Rate } from '../match-rate.ts'
import { Charges } from '../billing/money.ts'
import type { ModelUsage } from '../store/dashboard-repository.ts'

export interface UsageCost {
  gpuSeconds: number
  /** Whole cents, each rate's GPU time rounded once (billing/money.ts), as an invoice's lines are. */
  cents: number
  /** GPU time on models the rate card does not price. */
  unpricedGpuSeconds: number
}

/** GPU time × the rate card (cents per GPU-hour, matched by model name). */
export function usageCost (usage: readonly ModelUsage[], rates: readonly Rate[]): UsageCost {
  const out = { gpuSeconds: 0, unpricedGpuSeconds: 0 }
  const charges = new Charges()
  for (const u of usage) {
    out.gpuSeconds += u.gpuSeconds
    const rate = matchRate(u.gpuModel, rates)
    // The store reads integer held_ms and hands it on as seconds; back to exact ms for money.
    if (rate === null) out.unpricedGpuSeconds += u.gpuSeconds
    else charges.add(Math.round(u.gpuSeconds * 1000), rate)
  }
  return { ...out, cents: charges.cents() }
}

export const round1 = (x: number): number => Math.round(x * 10) / 10
export const round2 = (x: number): number => Math.round(x * 100) / 100
