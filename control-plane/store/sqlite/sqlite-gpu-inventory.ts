import type { StatementSync } from 'node:sqlite'
import type { SqliteDb } from './sqlite-db.ts'

export interface InventoryGpu { nodeId: number, gpuIndex: number, model: string | null }

/** The fleet's GPUs as the scheduler plans over them: which GPU sits where, of which model. */
export interface GpuInventory {
  gpus: Map<number, InventoryGpu>
  /** node id → cluster id, as of the last read. */
  nodeCluster: Map<number, number>
  /** Registered GPUs per node and model, ordered by node id. */
  byNodeModel: Array<{ nodeId: number, model: string | null, count: number }>
  /** Registered GPUs per cluster and model. */
  byClusterModel: Map<number, Array<{ model: string | null, count: number }>>
}

/**
 * Reading 8,000 GPU rows is most of what a scheduling cycle (every 200 ms under a stream of
 * submits) and a submit's capacity check would cost, yet which GPU sits on which node with
 * which model changes only when the fleet registers something. So it is kept per database
 * and read again when the shape of gpus or nodes moves (a count or the highest id) or the
 * copy is 30 s old, which bounds how long a rename in place (a re-registration with another
 * model, a node moved to another cluster) goes unseen. Live state (readings, node status,
 * holders) is never cached: callers read it every time.
 */
export const INVENTORY_MAX_AGE_MS = 30_000

interface Cached { shape: string, readAt: number, inventory: GpuInventory }
const caches = new WeakMap<SqliteDb, { shape: StatementSync, gpus: StatementSync, nodes: StatementSync, cached: Cached | null }>()

export function gpuInventory (db: SqliteDb, at: number): GpuInventory {
  let c = caches.get(db)
  if (c === undefined) {
    const arrays = (sql: string) => {
      const st = db.raw.prepare(sql)
      st.setReturnArrays(true)
      return st
    }
    c = {
      shape: arrays(`SELECT (SELECT COUNT(*) FROM gpus), (SELECT COALESCE(MAX(id), 0) FROM gpus),
          (SELECT COUNT(*) FROM nodes), (SELECT COALESCE(MAX(id), 0) FROM nodes)`),
      gpus: arrays('SELECT id, node_id, gpu_index, model FROM gpus ORDER BY node_id, gpu_index'),
      nodes: arrays('SELECT id, cluster_id FROM nodes'),
      cached: null,
    }
    caches.set(db, c)
  }
  const shape = (c.shape.get() as unknown as unknown[]).join('/')
  const hit = c.cached
  if (hit !== null && hit.shape === shape && at >= hit.readAt && at - hit.readAt < INVENTORY_MAX_AGE_MS) return hit.inventory

  const nodeCluster = new Map((c.nodes.all() as unknown as unknown[][]).map(r => [Number(r[0]), Number(r[1])]))
  const gpus = new Map<number, InventoryGpu>()
  const byNode = new Map<number, Map<string | null, number>>()
  const clusterCounts = new Map<number, Map<string | null, number>>()
  const bump = <K>(outer: Map<K, Map<string | null, number>>, key: K, model: string | null) => {
    let counts = outer.get(key)
    if (counts === undefined) outer.set(key, counts = new Map())
    counts.set(model, (counts.get(model) ?? 0) + 1)
  }
  // Rows arrive by node id, so byNode's insertion order is node order.
  for (const r of c.gpus.all() as unknown as unknown[][]) {
    const g = { nodeId: Number(r[1]), gpuIndex: Number(r[2]), model: r[3] === null ? null : String(r[3]) }
    gpus.set(Number(r[0]), g)
    bump(byNode, g.nodeId, g.model)
    const clusterId = nodeCluster.get(g.nodeId)
    if (clusterId !== undefined) bump(clusterCounts, clusterId, g.model)
  }
  const byNodeModel = [...byNode].flatMap(([nodeId, m]) => [...m].map(([model, count]) => ({ nodeId, model, count })))
  const byClusterModel = new Map([...clusterCounts].map(([id, m]) => [id, [...m].map(([model, count]) => ({ model, count }))]))
  const inventory = { gpus, nodeCluster, byNodeModel, byClusterModel }
  c.cached = { shape, readAt: at, inventory }
  return inventory
}
