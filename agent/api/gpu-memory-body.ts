import type { Snapshot } from '../collector/snapshot.ts'
import { mibToGb, percentOf } from './memory-math.ts'

/**
 * Seed 004 `GET /v1/gpu/memory`: one entry per GPU in index order (the seed's client numbers
 * them by position). percent_free is free/total, not 100 - used: on drivers that report
 * `memory.reserved` the two don't add up to 100 and the gap is real.
 */
export function gpuMemoryBody (snapshot: Snapshot, extra: { hostname: string, ageMs: number }) {
  const recordedAt = new Date(snapshot.recordedAt).toISOString()
  return {
    status: 'success' as const,
    timestamp: recordedAt,
    memory: [...snapshot.gpus].sort((a, b) => a.index - b.index).map(gpu => ({
      total_gb: mibToGb(gpu.memoryTotalMib),
      used_gb: mibToGb(gpu.memoryUsedMib),
      free_gb: mibToGb(gpu.memoryFreeMib),
      percent_used: percentOf(gpu.memoryUsedMib, gpu.memoryTotalMib),
      percent_free: percentOf(gpu.memoryFreeMib, gpu.memoryTotalMib),
      index: gpu.index,
      uuid: gpu.uuid,
      total_mb: gpu.memoryTotalMib,
      used_mb: gpu.memoryUsedMib,
      free_mb: gpu.memoryFreeMib,
      reserved_mb: gpu.memoryReservedMib,
    })),
    hostname: extra.hostname,
    recorded_at: recordedAt,
    data_age_ms: extra.ageMs,
  }
}
