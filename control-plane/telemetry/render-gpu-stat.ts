import type { LatestGpuSample, StoredGpuSample } from '../store/telemetry-repository.ts'
import { formatIsoOffset } from './format-iso-offset.ts'

/** A stored sample in seed 000's row shape (snake_case, recorded_at ISO 8601), plus the extensions. */
export function sampleJson (s: StoredGpuSample) {
  return {
    id: s.id,
    recorded_at: formatIsoOffset(s.recordedAt, 0),
    gpu_id: s.gpuId,
    name: s.name,
    power_draw_w: s.powerDrawW,
    temp_c: s.tempC,
    memory_used_mb: s.memoryUsedMb,
    memory_total_mb: s.memoryTotalMb,
    utilization_pct: s.utilizationPct,
    uuid: s.uuid,
    pci_bus_id: s.pciBusId,
    power_draw_avg_w: s.powerDrawAvgW,
    power_limit_w: s.powerLimitW,
    memory_temp_c: s.memoryTempC,
    memory_reserved_mb: s.memoryReservedMb,
    memory_utilization_pct: s.memoryUtilizationPct,
    sm_clock_mhz: s.smClockMhz,
    mem_clock_mhz: s.memClockMhz,
    ecc_errors_corrected: s.eccErrorsCorrected,
    ecc_errors_uncorrected: s.eccErrorsUncorrected,
  }
}

export type SampleJson = ReturnType<typeof sampleJson>

/** GET /api/gpu-stats row: the seed's fields first, then where the GPU lives. */
export function latestJson (s: LatestGpuSample) {
  return { ...sampleJson(s), node_id: s.nodeId, hostname: s.hostname, cluster_id: s.clusterId }
}
