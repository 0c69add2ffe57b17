import type { GpuReading, MissingGpu, Snapshot } from '../collector/snapshot.ts'
import type { GpuStatRow } from '../../shared/wire/gpu-stats.ts'
import { WIRE_GPU_FIELDS, gpuFieldNumber } from '../../shared/gpu-fields.ts'

// Seed 000's readings are in every row, null where a GPU has none.
const SEED_NULLS = Object.fromEntries(WIRE_GPU_FIELDS.filter(f => 'seed' in f).map(f => [f.wire, null]))

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
    ...SEED_NULLS,
    recorded_at: recordedAt,
    uuid: m.uuid,
    pci_bus_id: m.pciBusId,
    fault: `missing: ${m.reason}`.slice(0, 500),
  }
}

/** The table's readings by wire name (a reading the driver lacks sends its stand-in, if any). */
function readingsOf (gpu: GpuReading): Record<string, number | null> {
  const row: Record<string, number | null> = {}
  for (const f of WIRE_GPU_FIELDS) {
    row[f.wire] = gpuFieldNumber(gpu[f.reading]) ?? ('uplinkFallback' in f ? gpu[f.uplinkFallback] : null)
  }
  return row
}

function toRow (gpu: GpuReading, recordedAt: string): GpuStatRow {
  return {
    gpu_id: gpu.index,
    // `name` is required by the seed; an unnamed GPU (driver gave [N/A]) still gets a row.
    name: gpu.name ?? '',
    ...readingsOf(gpu),
    recorded_at: recordedAt,
    uuid: gpu.uuid,
    pci_bus_id: gpu.pciBusId,
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
