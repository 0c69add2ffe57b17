import { WIRE_GPU_FIELDS, type GpuSampleReadings } from '../../shared/gpu-fields.ts'

/**
 * Every stored reading of shared/gpu-fields.ts as null: a fixture spreads it first and sets
 * the readings it is about, so a new metric needs no edit here.
 */
export function noGpuReadings (): GpuSampleReadings {
  return Object.fromEntries(WIRE_GPU_FIELDS.map(f => [f.sample, null])) as GpuSampleReadings
}
