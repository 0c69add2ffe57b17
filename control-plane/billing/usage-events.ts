import type { MeteredInterval } from '../store/billing-repository.ts'
import { matchRate, type Rate } from '../match-rate.ts'
import type { UsageLine } from './meter-usage.ts'

/** What one job used of one GPU type in a window (seed 003's "usage events"). */
export interface UsageEvent {
  jobId: number
  jobName: string
  tenantId: number | null
  gpuType: string | null
  gpuModel: string | null
  /** Distinct GPUs of this type the job held in the window. */
  gpuCount: number
  /** Clipped to the window. */
  start: number
  end: number
  /** Some GPU is still assigned. */
  running: boolean
  gpuMs: number
  /** The job's share of its line (apportioned), null if unpriced. */
  amountCents: number | null
}

/**
 * Per-job usage from the same intervals and rates that priced `lines` (meterUsage). Costs
 * come from the lines' per-job shares, so events of one line sum to it exactly. Oldest first.
 */
export function usageEvents (intervals: readonly MeteredInterval[], lines: readonly UsageLine[], rates: readonly Rate[]): UsageEvent[] {
  const byLine = new Map(lines.map(l => [JSON.stringify([l.tenantId, l.amountCents === null, l.gpuType]), l]))
  const events = new Map<string, UsageEvent & { gpus: Set<number> }>()
  for (const iv of intervals) {
    if (iv.end <= iv.start) continue
    const rate = matchRate(iv.gpuModel, rates)
    const lineKey = JSON.stringify([iv.tenantId, rate === null, rate?.gpuType ?? iv.gpuModel])
    const key = `${iv.jobId} ${lineKey}`
    let e = events.get(key)
    if (e === undefined) {
      const line = byLine.get(lineKey)
      e = {
        jobId: iv.jobId,
        jobName: iv.jobName,
        tenantId: iv.tenantId,
        gpuType: rate?.gpuType ?? iv.gpuModel,
        gpuModel: iv.gpuModel,
        gpuCount: 0,
        start: iv.start,
        end: iv.end,
        running: false,
        gpuMs: 0,
        amountCents: line?.jobs.get(iv.jobId)?.amountCents ?? null,
        gpus: new Set(),
      }
      events.set(key, e)
    }
    e.gpus.add(iv.gpuId)
    e.gpuCount = e.gpus.size
    e.start = Math.min(e.start, iv.start)
    e.end = Math.max(e.end, iv.end)
    e.running ||= iv.running
    e.gpuMs += iv.end - iv.start
  }
  return [...events.values()]
    .sort((a, b) => a.start - b.start || a.jobId - b.jobId)
    .map(({ gpus: _gpus, ...e }) => e)
}
