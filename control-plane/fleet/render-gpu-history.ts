import type { GpuHistoryBucket } from '../store/gpu-history-repository.ts'
import type { GpuHistoryJson } from '../../shared/wire/gpu-history-schemas.ts'

type Point = GpuHistoryJson['gpus'][number]['points'][number]

// Three decimals: the averages are of readings with at most one or two.
const avg = (sum: number, n: number): number | null => n === 0 ? null : Math.round((sum / n) * 1000) / 1000

/** One merged bucket → its wire point (averages are sum / count over the samples that had the reading). */
export function gpuHistoryPoint (b: GpuHistoryBucket): Point {
  return {
    at: new Date(b.bucketAt).toISOString(),
    samples: b.samples,
    utilization_avg_pct: avg(b.utilSum, b.utilN),
    utilization_max_pct: b.utilMax,
    temp_avg_c: avg(b.tempSum, b.tempN),
    temp_max_c: b.tempMax,
    memory_used_avg_mb: avg(b.memSum, b.memN),
    memory_used_max_mb: b.memMax,
    memory_total_mb: b.memTotal,
    power_avg_w: avg(b.powerSum, b.powerN),
    power_max_w: b.powerMax,
  }
}
