import type { Cluster, FleetNode, Gpu, GpuHealth, GpuStatus, MigInstance, MigMode, NodeEvent, NodeEventKind, NodeStatus } from '../fleet-repository.ts'
import { numOrNull, strOrNull } from './cells.ts'

/** Row → record mappers for the fleet tables of both engines (columns as in *-fleet-migrations.ts). */

type Row = Record<string, unknown>

const num = (v: unknown): number => Number(v)

export function toCluster (r: Row): Cluster {
  return {
    id: num(r.id), name: String(r.name), region: strOrNull(r.region), status: 'active', createdAt: num(r.created_at),
    defaultTimeLimitMin: numOrNull(r.default_time_limit_min),
  }
}

export function toNode (r: Row): FleetNode {
  return {
    id: num(r.id),
    clusterId: num(r.cluster_id),
    hostname: String(r.hostname),
    ipAddress: strOrNull(r.ip_address),
    totalGpus: numOrNull(r.total_gpus),
    cpuCores: numOrNull(r.cpu_cores),
    ramGb: numOrNull(r.ram_gb),
    agentUrl: strOrNull(r.agent_url),
    status: r.status as NodeStatus,
    lastSeenAt: numOrNull(r.last_seen_at),
    registeredAt: num(r.registered_at),
    drainedAt: numOrNull(r.drained_at),
  }
}

export function toGpu (r: Row): Gpu {
  return {
    id: num(r.id),
    nodeId: num(r.node_id),
    gpuIndex: num(r.gpu_index),
    uuid: strOrNull(r.uuid),
    model: strOrNull(r.model),
    vramMb: numOrNull(r.vram_mb),
    status: r.status as GpuStatus,
    ...toGpuReading(r),
    createdAt: num(r.created_at),
    health: toGpuHealth(r),
    healthAt: numOrNull(r.health_at),
    ...toMigState(r),
  }
}

/** A GPU's newest reading as the gpus row (or the dashboard's join) holds it. */
export function toGpuReading (r: Row): Pick<Gpu, 'utilizationPct' | 'memoryUsedMb' | 'memoryTotalMb' | 'temperatureC' | 'powerDrawW' | 'updatedAt'> {
  return {
    utilizationPct: numOrNull(r.utilization_pct),
    memoryUsedMb: numOrNull(r.memory_used_mb),
    memoryTotalMb: numOrNull(r.memory_total_mb),
    temperatureC: numOrNull(r.temperature_c),
    powerDrawW: numOrNull(r.power_draw_w),
    updatedAt: numOrNull(r.updated_at),
  }
}

/** The health columns of a `gpus` row (both engines; the dashboard's GPU reads use it too). */
export function toGpuHealth (r: Row): GpuHealth {
  return {
    xidCount: numOrNull(r.xid_count),
    xidLast: numOrNull(r.xid_last),
    xidLastAt: numOrNull(r.xid_last_at),
    remappedRowsCorrectable: numOrNull(r.remapped_rows_correctable),
    remappedRowsUncorrectable: numOrNull(r.remapped_rows_uncorrectable),
    remappedRowsPending: boolOrNull(r.remapped_rows_pending),
    remappedRowsFailure: boolOrNull(r.remapped_rows_failure),
  }
}

// Stored as 0/1 (SQLite has no boolean; PostgreSQL's SMALLINT keeps one SQL for both).
const boolOrNull = (v: unknown): boolean | null => (v === null || v === undefined ? null : Number(v) !== 0)

/** The UPDATE both engines run for a reported health, with its arguments in column order. */
export const GPU_HEALTH_UPDATE = `UPDATE gpus SET xid_count = ?, xid_last = ?, xid_last_at = ?, remapped_rows_correctable = ?,
  remapped_rows_uncorrectable = ?, remapped_rows_pending = ?, remapped_rows_failure = ?, health_at = ? WHERE id = ?`

export function gpuHealthArgs (h: GpuHealth, at: number, gpuId: number): Array<number | null> {
  const flag = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0)
  return [h.xidCount, h.xidLast, h.xidLastAt, h.remappedRowsCorrectable, h.remappedRowsUncorrectable,
    flag(h.remappedRowsPending), flag(h.remappedRowsFailure), at, gpuId]
}

/** The mig_mode / mig_instances columns of a gpus row. */
export function toMigState (r: Row): { migMode: MigMode | null, migInstances: MigInstance[] | null } {
  return {
    migMode: r.mig_mode === 'Enabled' || r.mig_mode === 'Disabled' ? r.mig_mode as MigMode : null,
    migInstances: typeof r.mig_instances === 'string' ? JSON.parse(r.mig_instances) as MigInstance[] : null,
  }
}

/** The stored form of a GPU's instance list (JSON text, written and read whole). */
export function migInstancesColumn (instances: readonly MigInstance[] | null | undefined): string | null {
  return instances == null ? null : JSON.stringify(instances)
}

export function toNodeEvent (r: Row): NodeEvent {
  let detail: Record<string, unknown> | null = null
  if (typeof r.detail === 'string') detail = JSON.parse(r.detail) as Record<string, unknown>
  return { id: num(r.id), nodeId: num(r.node_id), hostname: String(r.hostname), kind: r.kind as NodeEventKind, at: num(r.at), detail }
}
