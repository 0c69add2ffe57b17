import type { GpuReading, MissingGpu, Snapshot } from '../collector/snapshot.ts'
import type { GpuStatRow } from '../../shared/wire/gpu-stats.ts'

/**
 * One snapshot → seed 000 ingest rows, one per GPU, all stamped with the tick's own time so
 * a row replayed from the spool an hour later still lands on its original second.
 * Nothing is clamped or guessed: a null reading stays null, and an out-of-range value is sent
 * as read (the server skips that row, fail-soft, and we would rather it decided than us).
 */
export function toGpuStatRows (snapshot: Snapshot): GpuStatRow[] {
  const recordedAt = new Date(snapshot.recordedAt).toISOString()
  const rows = snapshot.gpus.map(gpu => toRow(gpu, recordedAt))
  // A GPU that fell off the bus is reported at this tick too: no readings, and why (so the
  // control plane sees it unknown now, not its last good values going stale).
  for (const m of snapshot.missing ?? []) if (m.index !== null) rows.push(missingRow(m, m.index, recordedAt))
  return rows
}

function missingRow (m: MissingGpu, index: number, recordedAt: string): GpuStatRow {
  return {
    gpu_id: index,
    name: (m.name ?? '').slice(0, 64),
    power_draw_w: null,
    temp_c: null,
    memory_used_mb: null,
    memory_total_mb: null,
    utilization_pct: null,
    recorded_at: recordedAt,
    uuid: m.uuid,
    pci_bus_id: m.pciBusId,
    fault: `missing: ${m.reason}`.slice(0, 500),
  }
}

function toRow (gpu: GpuReading, recordedAt: string): GpuStatRow {
  return {
    gpu_id: gpu.index,
    // `name` is required by the seed; an unnamed GPU (driver gave [N/A]) still gets a row.
    name: gpu.name ?? '',
    // Seed 000 wants the instantaneous reading; fall back to the 1 s average on older drivers.
    power_draw_w: gpu.powerDrawInstantW ?? gpu.powerDrawAverageW,
    temp_c: gpu.temperatureGpuC,
    memory_used_mb: gpu.memoryUsedMib,
    memory_total_mb: gpu.memoryTotalMib,
    utilization_pct: gpu.utilizationGpuPct,
    recorded_at: recordedAt,
    uuid: gpu.uuid,
    pci_bus_id: gpu.pciBusId,
    power_draw_avg_w: gpu.powerDrawAverageW,
    power_limit_w: gpu.powerLimitW,
    memory_temp_c: gpu.temperatureMemoryC,
    memory_reserved_mb: gpu.memoryReservedMib,
    memory_utilization_pct: gpu.utilizationMemoryPct,
    sm_clock_mhz: gpu.smClockMhz,
    mem_clock_mhz: gpu.memClockMhz,
    ecc_errors_corrected: gpu.eccCorrectedVolatile,
    ecc_errors_uncorrected: gpu.eccUncorrectedVolatile,
    // Only on GPUs whose driver reports a MIG mode: other hosts' rows stay as they were.
    ...(gpu.migMode != null && { mig_mode: gpu.migMode }),
    ...(gpu.migMode === 'Enabled' && {
      mig_instances: gpu.migInstances == null
        ? null
        : gpu.migInstances.filter(m => m.gpuInstanceId !== null).map(m => ({
          gpu_instance_id: m.gpuInstanceId as number,
          compute_instance_id: m.computeInstanceId,
          profile: m.profile,
          uuid: m.uuid,
          memory_total_mb: m.memoryTotalMib,
          memory_used_mb: m.memoryUsedMib,
        })),
    }),
    // Values that were faults (their fields above are null), e.g. "memory.used: GPU requires reset".
    ...(gpu.faults?.length ? { fault: gpu.faults.map(f => `${f.field}: ${f.reason}`).join('; ').slice(0, 500) } : {}),
  }
}
