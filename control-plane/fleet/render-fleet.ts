import type { Cluster, FleetNode, Gpu, MigInstance } from '../store/fleet-repository.ts'

/** Store records → seed 003's snake_case JSON; epoch ms become ISO 8601 here, at the edge. */

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

export function clusterJson (c: Cluster) {
  return { id: c.id, name: c.name, region: c.region, status: c.status, created_at: iso(c.createdAt) as string, default_time_limit_min: c.defaultTimeLimitMin }
}

export function nodeJson (n: FleetNode) {
  return {
    id: n.id,
    cluster_id: n.clusterId,
    hostname: n.hostname,
    ip_address: n.ipAddress,
    total_gpus: n.totalGpus,
    cpu_cores: n.cpuCores,
    ram_gb: n.ramGb,
    agent_url: n.agentUrl,
    status: n.status,
    last_seen_at: iso(n.lastSeenAt),
    registered_at: iso(n.registeredAt) as string,
  }
}

/** The cluster detail's and the node routes' node: the seed's fields plus its drain state. */
export function nodeDetailJson (n: FleetNode) {
  return { ...nodeJson(n), drained_at: iso(n.drainedAt) }
}

export function gpuJson (g: Gpu) {
  return {
    id: g.id,
    node_id: g.nodeId,
    gpu_index: g.gpuIndex,
    uuid: g.uuid,
    model: g.model,
    vram_mb: g.vramMb,
    status: g.status,
    ...gpuReadingJson(g),
    updated_at: iso(g.updatedAt),
    created_at: iso(g.createdAt) as string,
    mig_mode: g.migMode ?? null,
    mig_instances: g.migInstances == null ? null : g.migInstances.map(migInstanceJson),
    // Only once the agent has reported it: seed 003's GPU record is unchanged for the rest.
    ...(g.healthAt !== null && { health: {
      xid_count: g.health.xidCount,
      xid_last: g.health.xidLast,
      xid_last_at: iso(g.health.xidLastAt),
      remapped_rows_correctable: g.health.remappedRowsCorrectable,
      remapped_rows_uncorrectable: g.health.remappedRowsUncorrectable,
      remapped_rows_pending: g.health.remappedRowsPending,
      remapped_rows_failure: g.health.remappedRowsFailure,
      reported_at: iso(g.healthAt) as string,
    } }),
  }
}

/** A GPU's newest reading on the wire (the fleet's GPU records and the overview's GPU map). */
export function gpuReadingJson (g: Pick<Gpu, 'utilizationPct' | 'memoryUsedMb' | 'memoryTotalMb' | 'temperatureC' | 'powerDrawW'>) {
  return {
    utilization_pct: g.utilizationPct,
    memory_used_mb: g.memoryUsedMb,
    memory_total_mb: g.memoryTotalMb,
    temperature_c: g.temperatureC,
    power_draw_w: g.powerDrawW,
  }
}

export function migInstanceJson (m: MigInstance) {
  return {
    gpu_instance_id: m.gpuInstanceId,
    compute_instance_id: m.computeInstanceId,
    profile: m.profile,
    uuid: m.uuid,
    memory_total_mb: m.memoryTotalMb,
    memory_used_mb: m.memoryUsedMb,
  }
}
