import type { FreeGpu } from '../job-repository.ts'
import type { PgQuery } from './pg-db.ts'

type InventoryGpu = Pick<FreeGpu, 'nodeId' | 'gpuIndex' | 'model'>

export interface PgGpuInventory {
  gpus: Map<number, InventoryGpu>
  /** Registered GPUs per node and model (models in the order of their lowest gpu_index), ordered by node id. */
  byNodeModel: Array<{ nodeId: number, model: string | null, count: number }>
}

/**
 * Which GPU sits where, of which model, read in the caller's transaction. Unlike the SQLite
 * store it is not cached: several replicas share the database, and a per-process copy would
 * miss another replica's registrations.
 */
export async function pgGpuInventory (q: PgQuery): Promise<PgGpuInventory> {
  const gpus = new Map<number, InventoryGpu>()
  const byNode = new Map<number, Map<string | null, number>>()
  for (const r of await q.all<{ id: number, node_id: number, gpu_index: number, model: string | null }>(
    'SELECT id, node_id, gpu_index, model FROM gpus ORDER BY node_id, gpu_index')) {
    gpus.set(r.id, { nodeId: r.node_id, gpuIndex: r.gpu_index, model: r.model })
    let m = byNode.get(r.node_id)
    if (m === undefined) byNode.set(r.node_id, m = new Map())
    m.set(r.model, (m.get(r.model) ?? 0) + 1)
  }
  const byNodeModel = [...byNode].flatMap(([nodeId, m]) => [...m].map(([model, count]) => ({ nodeId, model, count })))
  return { gpus, byNodeModel }
}

/** Registered GPUs of one cluster per model, in the order the SQLite inventory lists them. */
export async function pgClusterModels (q: PgQuery, clusterId: number): Promise<Array<{ model: string | null, count: number }>> {
  const counts = new Map<string | null, number>()
  for (const r of await q.all<{ model: string | null }>(`SELECT g.model FROM gpus g JOIN nodes n ON n.id = g.node_id
      WHERE n.cluster_id = ? ORDER BY g.node_id, g.gpu_index`, clusterId)) {
    counts.set(r.model, (counts.get(r.model) ?? 0) + 1)
  }
  return [...counts].map(([model, count]) => ({ model, count }))
}
