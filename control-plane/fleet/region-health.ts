import type { Cluster, FleetNode, Gpu } from '../store/fleet-repository.ts'

/** Clusters created without a region are reported (and routable) under this name. */
export const UNASSIGNED_REGION = 'unassigned'

export interface FleetView {
  clusters: Cluster[]
  nodes: FleetNode[]
  gpus: Gpu[]
}

export interface NodeView {
  node: FleetNode
  region: string
  gpus: Gpu[]
  /** Newest GPU reading on the node (null if it never sent one). */
  newestSampleAt: number | null
}

export interface RegionHealth {
  region: string
  clusters: number
  nodes_total: number
  nodes_online: number
  /** Online nodes with a GPU reading newer than the staleness limit: the routable ones. */
  nodes_fresh: number
  gpus_total: number
  gpus_online: number
  gpus_idle: number
  free_memory_mb: number
  mean_utilization_pct: number | null
  newest_sample_age_ms: number | null
  healthy: boolean
  reasons: string[]
}

export const regionOf = (c: Cluster): string => c.region ?? UNASSIGNED_REGION

/** Free memory of one GPU, or null when a reading is missing (unknown is never counted as free). */
export function gpuFreeMb (g: Gpu): number | null {
  const total = g.memoryTotalMb ?? g.vramMb
  if (total === null || g.memoryUsedMb === null) return null
  return Math.max(0, total - g.memoryUsedMb)
}

export const round2 = (x: number): number => Math.round(x * 100) / 100

export function meanUtilization (gpus: readonly Gpu[]): number | null {
  const known = gpus.map(g => g.utilizationPct).filter((u): u is number => u !== null)
  return known.length === 0 ? null : round2(known.reduce((a, b) => a + b, 0) / known.length)
}

export function buildNodeViews (view: FleetView): NodeView[] {
  const regionByCluster = new Map(view.clusters.map(c => [c.id, regionOf(c)]))
  const gpusByNode = new Map<number, Gpu[]>()
  for (const g of view.gpus) {
    const list = gpusByNode.get(g.nodeId)
    if (list === undefined) gpusByNode.set(g.nodeId, [g])
    else list.push(g)
  }
  return view.nodes.map(node => {
    const gpus = gpusByNode.get(node.id) ?? []
    const times = gpus.map(g => g.updatedAt).filter((t): t is number => t !== null)
    return {
      node,
      region: regionByCluster.get(node.clusterId) ?? UNASSIGNED_REGION,
      gpus,
      newestSampleAt: times.length === 0 ? null : Math.max(...times),
    }
  })
}

export const isFresh = (n: NodeView, now: number, staleAfterMs: number): boolean =>
  n.node.status === 'online' && n.newestSampleAt !== null && now - n.newestSampleAt <= staleAfterMs

/** Per-region health, by region name. Every figure comes from the stored live readings. */
export function computeRegionHealth (clusters: readonly Cluster[], views: readonly NodeView[], now: number, staleAfterMs: number): RegionHealth[] {
  const regions = [...new Set(clusters.map(regionOf))].sort()
  return regions.map(region => {
    const nodes = views.filter(v => v.region === region)
    const online = nodes.filter(v => v.node.status === 'online')
    const onlineGpus = online.flatMap(v => v.gpus)
    const newest = nodes.map(v => v.newestSampleAt).filter((t): t is number => t !== null)
    const newestAge = newest.length === 0 ? null : Math.max(0, now - Math.max(...newest))
    const fresh = online.filter(v => isFresh(v, now, staleAfterMs))
    const reasons: string[] = []
    if (nodes.length === 0) reasons.push('no nodes registered')
    else if (online.length === 0) reasons.push(`no online nodes (${nodes.length} offline)`)
    else if (onlineGpus.length === 0) reasons.push('no GPUs on the online nodes')
    else if (newestAge === null) reasons.push('no GPU samples received yet')
    else if (fresh.length === 0) reasons.push(`stale samples: the newest is ${Math.round(newestAge / 1000)} s old (limit ${staleAfterMs / 1000} s)`)
    return {
      region,
      clusters: clusters.filter(c => regionOf(c) === region).length,
      nodes_total: nodes.length,
      nodes_online: online.length,
      nodes_fresh: fresh.length,
      gpus_total: nodes.reduce((n, v) => n + v.gpus.length, 0),
      gpus_online: onlineGpus.length,
      gpus_idle: onlineGpus.filter(g => g.status === 'idle').length,
      free_memory_mb: onlineGpus.reduce((sum, g) => sum + (gpuFreeMb(g) ?? 0), 0),
      mean_utilization_pct: meanUtilization(onlineGpus),
      newest_sample_age_ms: newestAge,
      healthy: reasons.length === 0,
      reasons,
    }
  })
}
