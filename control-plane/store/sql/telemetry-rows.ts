import type { LatestGpuSample, MinuteRollup, TelemetryScope } from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_NODE } from '../telemetry-scope-kinds.ts'
import { WIRE_GPU_FIELDS, type GpuWireName } from '../../../shared/gpu-fields.ts'

/** Row → record mappers and scope keys of the telemetry tables (both engines: same columns). */

/** A joined latest row: the raw row's columns (the readings by wire name), then identity. */
export type LatestRow = { [K in GpuWireName]: number | null } & {
  id: number, node_id: number, gpu_id: number, recorded_at: number, cluster_id: number | null, hostname: string | null,
  name: string, uuid: string | null, pci_bus_id: string | null
}

/** One joined latest row → record (both engines: same columns). */
export function toLatestSample (r: LatestRow): LatestGpuSample {
  const sample: Record<string, unknown> = {
    id: r.id,
    nodeId: r.node_id,
    clusterId: r.cluster_id,
    hostname: r.hostname,
    gpuId: r.gpu_id,
    recordedAt: r.recorded_at,
    name: r.name,
    uuid: r.uuid,
    pciBusId: r.pci_bus_id,
  }
  for (const f of WIRE_GPU_FIELDS) sample[f.sample] = r[f.wire]
  return sample as unknown as LatestGpuSample
}

export interface RollupDbRow {
  bucket_at: number, power_max_w: number | null, power_sum_w: number, power_n: number, util_sum: number,
  util_n: number, util_max: number | null, temp_sum: number, temp_n: number, samples: number
}

export function scopeKey (scope: TelemetryScope): [number, number] {
  switch (scope.kind) {
    case 'fleet': return [SCOPE_FLEET, 0]
    case 'cluster': return [SCOPE_CLUSTER, scope.clusterId]
    case 'node': return [SCOPE_NODE, scope.nodeId]
  }
}

/** The coarsest rollup span whose UTC-aligned buckets nest inside every wall-clock bucket. */
export function spanFor (scope: TelemetryScope, bucketMinutes: number, offsetMinutes: number): number {
  let best = 1
  for (const span of rollupSpans(scope.kind)) {
    if (bucketMinutes % span === 0 && ((offsetMinutes % span) + span) % span === 0 && span > best) best = span
  }
  return best
}

/** One minute rollup row → record. */
export function toMinuteRollup (r: RollupDbRow): MinuteRollup {
  return {
    minuteAt: r.bucket_at,
    powerMaxW: r.power_max_w,
    powerAvgW: r.power_n === 0 ? null : r.power_sum_w / r.power_n,
    utilizationAvgPct: r.util_n === 0 ? null : r.util_sum / r.util_n,
    utilizationMaxPct: r.util_max,
    tempAvgC: r.temp_n === 0 ? null : r.temp_sum / r.temp_n,
    samples: r.samples,
  }
}
