import type { Snapshot } from '../collector/snapshot.ts'
import type { MemorySummary } from '../../shared/wire/purge-types.ts'

export interface MemoryTotals {
  usedMib: number
  totalMib: number
  summary: MemorySummary
}

/**
 * Seed 004's host-wide memory figures: MiB summed over GPUs, GB = MiB / 1024 and percent, both
 * to one decimal (45056 of 81920 MiB → 44.0 / 80.0 GB, 55.0 %). A GPU whose used or total
 * memory nvidia-smi could not read is left out of both sums rather than counted as 0.
 */
export function summarizeMemory (snapshot: Snapshot): MemoryTotals {
  let usedMib = 0
  let totalMib = 0
  for (const gpu of snapshot.gpus) {
    if (gpu.memoryUsedMib === null || gpu.memoryTotalMib === null) continue
    usedMib += gpu.memoryUsedMib
    totalMib += gpu.memoryTotalMib
  }
  return {
    usedMib,
    totalMib,
    summary: {
      used_gb: round1(usedMib / 1024),
      total_gb: round1(totalMib / 1024),
      percent_used: totalMib > 0 ? round1(usedMib / totalMib * 100) : 0,
    },
  }
}

function round1 (value: number): number {
  return Math.round(value * 10) / 10
}
