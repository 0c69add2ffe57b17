import type { Store } from '../../../control-plane/store/store.ts'

export interface NodeSpec {
  gpus: number
  /** Default 'NVIDIA H100 80GB HBM3'. */
  model?: string | null
  /** Default online, seen at `at`. An offline node was last seen 10 minutes before `at`. */
  online?: boolean
}

export interface ClusterFixture { clusterId: number, nodes: Array<{ id: number, gpuIds: number[] }> }

let seq = 0

/**
 * A cluster built through the fleet repository's own methods (as the fleet API would): nodes
 * registered, GPUs registered with a model, and a fresh idle reading per GPU at `at`.
 */
export async function addCluster (store: Store, name: string, nodes: readonly NodeSpec[], at: number): Promise<ClusterFixture> {
  const cluster = await store.fleet.createCluster({ name, region: 'test-1' }, at)
  if (cluster === null) throw new Error(`cluster ${name} exists`)
  const out: ClusterFixture = { clusterId: cluster.id, nodes: [] }
  let offlineSince: number | null = null
  for (const spec of nodes) {
    const seenAt = spec.online === false ? at - 600_000 : at
    if (spec.online === false) offlineSince = seenAt
    const { node } = await store.fleet.upsertNode({ clusterId: cluster.id, hostname: `${name}-node-${++seq}`, totalGpus: spec.gpus }, seenAt)
    const model = spec.model === undefined ? 'NVIDIA H100 80GB HBM3' : spec.model
    await store.fleet.registerGpus(node.id, Array.from({ length: spec.gpus }, (_, i) => ({ gpuIndex: i, ...(model === null ? {} : { model }) })), seenAt)
    const gpus = await store.fleet.listGpus({ nodeId: node.id })
    await store.fleet.recordActivity({ seen: [{ nodeId: node.id, at: seenAt, via: 'test' }], readings: gpus.map(g => idle(g.id, seenAt)) })
    out.nodes.push({ id: node.id, gpuIds: gpus.map(g => g.id) })
  }
  if (offlineSince !== null) await store.fleet.markStaleNodesOffline(offlineSince + 1, at)
  return out
}

/** A reading that makes a GPU idle (or busy, with utilization above 10 %) at `at`. */
export function idle (gpuId: number, at: number, utilizationPct = 0) {
  return {
    gpuId, at, status: utilizationPct > 10 ? 'active' as const : 'idle' as const,
    utilizationPct, memoryUsedMb: 0, memoryTotalMb: 81920, temperatureC: 40, powerDrawW: 90,
  }
}

/** Fresh readings for every GPU on online nodes (idle unless `busy` says otherwise), as agents would push. */
export async function refreshReadings (store: Store, at: number, busy: ReadonlyMap<number, number> = new Map()): Promise<void> {
  const nodes = (await store.fleet.listNodes()).filter(n => n.status === 'online')
  const gpus = await store.fleet.listGpus()
  const online = new Set(nodes.map(n => n.id))
  await store.fleet.recordActivity({
    seen: nodes.map(n => ({ nodeId: n.id, at, via: 'test' })),
    readings: gpus.filter(g => online.has(g.nodeId)).map(g => idle(g.id, at, busy.get(g.id) ?? 0)),
  })
}
