import type { LatestGpuSample, StoredGpuSample } from '../store/telemetry-repository.ts'
import { formatIsoOffset } from './format-iso-offset.ts'
import { WIRE_GPU_FIELDS, type GpuWireName } from '../../shared/gpu-fields.ts'

type ReadingsJson = { [K in GpuWireName]: number | null }

/**
 * A stored sample in seed 000's row shape (snake_case, recorded_at ISO 8601), plus the
 * extensions: each stored reading of shared/gpu-fields.ts by its wire name, then identity.
 */
export function sampleJson (s: StoredGpuSample) {
  const readings: Record<string, number | null> = {}
  for (const f of WIRE_GPU_FIELDS) readings[f.wire] = s[f.sample]
  return {
    id: s.id,
    recorded_at: formatIsoOffset(s.recordedAt, 0),
    gpu_id: s.gpuId,
    name: s.name,
    ...readings as ReadingsJson,
    uuid: s.uuid,
    pci_bus_id: s.pciBusId,
  }
}

export type SampleJson = ReturnType<typeof sampleJson>

/** GET /api/gpu-stats row: the seed's fields first, then where the GPU lives. */
export function latestJson (s: LatestGpuSample) {
  return { ...sampleJson(s), node_id: s.nodeId, hostname: s.hostname, cluster_id: s.clusterId }
}
