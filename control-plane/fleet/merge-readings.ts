import type { GpuReadings } from '../store/fleet-repository.ts'

/** A partial reading: undefined keeps the stored value, null clears it (the driver said N/A). */
export type ReadingPatch = { [K in keyof GpuReadings]?: number | null | undefined }

export function mergeReadings (current: GpuReadings, patch: ReadingPatch): GpuReadings {
  const pick = (next: number | null | undefined, prev: number | null): number | null => (next === undefined ? prev : next)
  return {
    utilizationPct: pick(patch.utilizationPct, current.utilizationPct),
    memoryUsedMb: pick(patch.memoryUsedMb, current.memoryUsedMb),
    memoryTotalMb: pick(patch.memoryTotalMb, current.memoryTotalMb),
    temperatureC: pick(patch.temperatureC, current.temperatureC),
    powerDrawW: pick(patch.powerDrawW, current.powerDrawW),
  }
}
