import { clocksEventReasonNames } from '../collector/clocks-event-reason-names.ts'
import type { XidSummary } from '../collector/create-xid-watch.ts'
import type { ComputeAppsReading, GpuReading, MigInstanceReading, MigReading, Snapshot } from '../collector/snapshot.ts'
import { faultsWire, missingGpusWire } from './gpu-health-wire.ts'
import { mibToGb, percentOf } from './memory-math.ts'

/**
 * Seed 004 `GET /v1/gpu/status`, snake_case, every seed field kept; the rest are additions.
 * `timestamp` is when the GPUs were read (the snapshot), not when this answer was built.
 */
export function gpuStatusBody (snapshot: Snapshot, apps: ComputeAppsReading | null, extra: { hostname: string, ageMs: number, xidFor?: ((gpu: GpuReading) => XidSummary | null) | undefined, mig?: MigReading | null }) {
  const xidFor = extra.xidFor ?? (() => null)
  const indexByUuid = new Map<string, number>()
  for (const gpu of snapshot.gpus) if (gpu.uuid !== null) indexByUuid.set(gpu.uuid, gpu.index)
  // On a MIG GPU, --query-compute-apps names the parent GPU only; -q names the instance.
  const migOf = (gpuUuid: string, pid: number) => extra.mig?.processes.find(p => p.pid === pid && p.gpuUuid === gpuUuid)
  const recordedAt = new Date(snapshot.recordedAt).toISOString()
  return {
    status: 'success' as const,
    timestamp: recordedAt,
    gpus: byIndex(snapshot.gpus).map(gpu => gpuEntry(gpu, xidFor(gpu))),
    processes: (apps?.apps ?? []).map(app => ({
      pid: app.pid,
      name: app.processName,
      memory_mb: app.usedMemoryMib,
      gpu_index: indexByUuid.get(app.gpuUuid) ?? null,
      gpu_uuid: app.gpuUuid,
      gpu_instance_id: migOf(app.gpuUuid, app.pid)?.gpuInstanceId ?? null,
      compute_instance_id: migOf(app.gpuUuid, app.pid)?.computeInstanceId ?? null,
    })),
    total_gpus: snapshot.gpus.length,
    hostname: extra.hostname,
    recorded_at: recordedAt,
    data_age_ms: extra.ageMs,
    // Compute apps are read on a slower cadence (5 s) than the GPUs; say when.
    processes_read_at: apps === null ? null : new Date(apps.readAt).toISOString(),
    // GPUs the host has that gave no reading in this snapshot (fell off the bus, …), and why.
    missing_gpus: missingGpusWire(snapshot),
  }
}

function gpuEntry (gpu: GpuReading, xid: XidSummary | null) {
  return {
    index: gpu.index,
    name: gpu.name,
    memory: {
      total_mb: gpu.memoryTotalMib,
      used_mb: gpu.memoryUsedMib,
      free_mb: gpu.memoryFreeMib,
      total_gb: mibToGb(gpu.memoryTotalMib),
      used_gb: mibToGb(gpu.memoryUsedMib),
      free_gb: mibToGb(gpu.memoryFreeMib),
      percent_used: percentOf(gpu.memoryUsedMib, gpu.memoryTotalMib),
      reserved_mb: gpu.memoryReservedMib,
    },
    utilization: {
      gpu_percent: gpu.utilizationGpuPct,
      // nvidia-smi `utilization.memory`: % of the sample period the memory controller was
      // busy reading or writing, NOT the share of memory in use (that is memory.percent_used).
      memory_percent: gpu.utilizationMemoryPct,
    },
    temperature_c: gpu.temperatureGpuC,
    uuid: gpu.uuid,
    pci_bus_id: gpu.pciBusId,
    memory_temperature_c: gpu.temperatureMemoryC,
    power_draw_w: gpu.powerDrawInstantW,
    power_draw_avg_w: gpu.powerDrawAverageW,
    power_limit_w: gpu.powerLimitW,
    clocks: { sm_mhz: gpu.smClockMhz, memory_mhz: gpu.memClockMhz },
    pstate: gpu.pstate,
    ecc: { corrected_volatile: gpu.eccCorrectedVolatile, uncorrected_volatile: gpu.eccUncorrectedVolatile },
    clocks_event_reasons: gpu.clocksEventReasons === null ? null : clocksEventReasonNames(gpu.clocksEventReasons),
    remapped_rows: {
      correctable: gpu.remappedRowsCorrectable,
      uncorrectable: gpu.remappedRowsUncorrectable,
      pending: gpu.remappedRowsPending,
      failure: gpu.remappedRowsFailure,
    },
    // From the kernel log (null: none seen, or the log is not readable — /healthz says which).
    xid: xid === null ? null : { count: xid.count, last: xid.lastXid, last_at: new Date(xid.lastAt).toISOString(), last_detail: xid.lastDetail },
    // Values nvidia-smi printed that are faults (`[GPU requires reset]`, negative memory):
    // their field above is null, and this says why.
    faults: faultsWire(gpu),
    // MIG: utilization is N/A on a MIG-enabled GPU (null above, never 0); its memory is split
    // into MIG devices. mig_instances is null while unknown (not read yet), [] with none.
    mig_mode: gpu.migMode ?? null,
    mig_instances: gpu.migInstances == null ? null : gpu.migInstances.map(migInstanceEntry),
  }
}

function migInstanceEntry (m: MigInstanceReading) {
  return {
    gpu_instance_id: m.gpuInstanceId,
    compute_instance_id: m.computeInstanceId,
    profile: m.profile,
    uuid: m.uuid,
    mig_device_index: m.migDeviceIndex,
    memory: {
      total_mb: m.memoryTotalMib,
      used_mb: m.memoryUsedMib,
      free_mb: m.memoryFreeMib,
      total_gb: mibToGb(m.memoryTotalMib),
      used_gb: mibToGb(m.memoryUsedMib),
      free_gb: mibToGb(m.memoryFreeMib),
      percent_used: percentOf(m.memoryUsedMib, m.memoryTotalMib),
    },
  }
}

function byIndex (gpus: GpuReading[]): GpuReading[] {
  return [...gpus].sort((a, b) => a.index - b.index)
}
