import { matchRate, type Rate } from '../match-rate.ts'
import { Charges, costCents } from '../billing/money.ts'
import type { JobRecord } from '../store/analytics-repository.ts'

export interface JobPrice {
  /** Wall time from start to end (or to `now` while running); null before it starts. */
  durationMs: number | null
  /** GPU-milliseconds held, metered like billing: Σ (released_at ?? ended_at ?? now) − assigned_at. */
  gpuMs: number
  /** Σ the hourly rate of each GPU the job holds (a quote from gpu_type × gpu_count before any); null when unpriced. */
  centsPerHour: number | null
  /** Σ rate × time held per GPU in whole cents, rounded once per rate (money.ts); null when no GPU of the job matches a rate. */
  cents: number | null
  /** false while the job runs: duration and cost are "so far", as of `now`. */
  final: boolean
}

/**
 * cost = cost_per_hr × duration (seed 001) as billing meters it: per GPU, the rate of the model
 * that actually ran × the time it was held. When the scheduler assigns every GPU at start and
 * releases them at the end (its normal path) that is exactly cost_per_hr × duration; a job
 * that held GPUs for part of its run pays for the part. A started job with no job_gpus rows
 * is priced from gpu_type × gpu_count over its duration.
 */
export function priceJob (job: JobRecord, rates: readonly Rate[], now: number): JobPrice {
  const final = job.endedAt !== null
  const end = job.endedAt ?? now
  const durationMs = job.startedAt === null ? null : Math.max(0, end - job.startedAt)
  if (job.gpus.length === 0) {
    const rate = matchRate(job.gpuType, rates)
    const gpuMs = (durationMs ?? 0) * job.gpuCount
    const centsPerHour = rate === null ? null : rate.centsPerGpuHour * job.gpuCount
    return { durationMs, gpuMs, centsPerHour, cents: rate === null ? null : costCents(gpuMs, rate.centsPerGpuHour), final }
  }
  let gpuMs = 0
  let centsPerHour: number | null = null
  const charges = new Charges()
  for (const g of job.gpus) {
    const held = Math.max(0, Math.min(g.releasedAt ?? end, end) - g.assignedAt)
    gpuMs += held
    const rate = matchRate(g.gpuModel, rates)
    if (rate === null) continue
    centsPerHour = (centsPerHour ?? 0) + rate.centsPerGpuHour
    charges.add(held, rate)
  }
  return { durationMs, gpuMs, centsPerHour, cents: charges.empty ? null : charges.cents(), final }
}
