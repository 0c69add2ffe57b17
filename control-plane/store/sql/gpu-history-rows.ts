import type { GpuHistoryBucket } from '../gpu-history-repository.ts'

/** A gpu_history row, or a raw aggregate with the same columns (PostgreSQL sends BIGINT and NUMERIC as strings). */
export interface HistoryDbRow {
  node_id: number | string, gpu_id: number | string, bucket_at: number | string, samples: number | string,
  util_sum: number | string, util_n: number | string, util_max: number | null,
  temp_sum: number | string, temp_n: number | string, temp_max: number | null,
  mem_sum: number | string, mem_n: number | string, mem_max: number | null, mem_total: number | null,
  power_sum: number | string, power_n: number | string, power_max: number | null
}

const orNull = (v: number | string | null): number | null => v === null ? null : Number(v)

export function toHistoryBucket (r: HistoryDbRow): GpuHistoryBucket {
  return {
    gpuId: Number(r.gpu_id),
    bucketAt: Number(r.bucket_at),
    samples: Number(r.samples),
    utilSum: Number(r.util_sum),
    utilN: Number(r.util_n),
    utilMax: orNull(r.util_max),
    tempSum: Number(r.temp_sum),
    tempN: Number(r.temp_n),
    tempMax: orNull(r.temp_max),
    memSum: Number(r.mem_sum),
    memN: Number(r.mem_n),
    memMax: orNull(r.mem_max),
    memTotal: orNull(r.mem_total),
    powerSum: Number(r.power_sum),
    powerN: Number(r.power_n),
    powerMax: orNull(r.power_max),
  }
}
