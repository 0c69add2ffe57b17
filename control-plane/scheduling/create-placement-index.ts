import type { FreeGpu, InventoryRow } from '../store/job-repository.ts'
import { gpuTypeKey, gpuTypeMatches } from './gpu-type-matches.ts'

interface GpuSlot { id: number, gpuIndex: number, model: string | null, free: boolean }

interface NodeState {
  id: number
  clusterId: number
  online: boolean
  /** Nothing is placed or reserved here (POST /api/nodes/:id/drain). */
  drained: boolean
  /** Registered GPUs per model, any state. */
  models: Array<{ model: string | null, count: number }>
  /** The free GPUs, lowest gpu_index first; `free` turns false once taken this cycle. */
  gpus: GpuSlot[]
  reserved: boolean
  entries: PoolEntry[]
}

interface PoolEntry { pool: Pool, node: NodeState, capacity: number, free: number }

/** The GPUs of one cluster that one gpu_type can use, bucketed by each node's free count. */
interface Pool {
  clusterId: number
  key: string
  /** Matching GPUs registered in the cluster, any node state (for "can never fit"). */
  total: number
  /** Most matching GPUs on one node, any node state: a job up to this size must fit on one node. */
  maxPerNode: number
  /** total and maxPerNode without drained nodes: a job beyond them fits only on a drained node. */
  undrainedTotal: number
  undrainedMaxPerNode: number
  /** byFree[k]: unreserved online nodes with exactly k free matching GPUs, in node order. */
  byFree: Array<Set<PoolEntry>>
  freeUnreserved: number
  reservedMaxFree: number
  reservedTotalFree: number
  /** Smallest request that found nothing to reserve (reservations only shrink what is left). */
  noReserveFrom: number
}

export interface Placement { nodeId: number, gpus: Array<{ gpuId: number, nodeId: number, model: string | null }> }

export interface PlacementIndex {
  /** Matching GPUs registered in the cluster and the most on one node. */
  capacity: (clusterId: number, gpuType: string | null) => { total: number, maxPerNode: number }
  /** Takes GPUs for the job if it fits on unreserved free GPUs now; null if not. */
  place: (clusterId: number, gpuType: string | null, count: number) => Placement | null
  /** Whether it would fit if GPUs held back for higher-priority jobs were free to take. */
  fitsWithReserved: (clusterId: number, gpuType: string | null, count: number) => boolean
  /** Whether it would fit as the rules place it only if drained nodes took jobs (pending reason NODE_DRAINED). */
  onlyFitsDrained: (clusterId: number, gpuType: string | null, count: number) => boolean
  /** Holds back node(s) a waiting job is closest to fitting on; true if any were reserved. */
  reserve: (clusterId: number, gpuType: string | null, count: number) => boolean
  freeGpus: () => number
  reservedNodes: () => number
}

/**
 * Free-GPU bookkeeping for one cycle, over the fleet's inventory (GPUs per node and model)
 * and the GPUs free now (node online, fresh reading, idle, held by no running job: the
 * store's snapshot). Placement rules:
 * - A job that fits on one node of its cluster (count ≤ the largest node's matching GPUs)
 *   only ever runs on one node: best fit, the node with the fewest free GPUs that still
 *   holds it, so whole nodes stay free for whole-node jobs. It waits rather than spread.
 * - A job larger than any node spans nodes, fewest first (most free GPUs first).
 * - Lowest gpu_index first within a node.
 * Pools per (cluster, gpu_type) share the GPU and node state, so a GPU taken or a node
 * reserved through one pool is gone from every pool; each update costs O(GPUs per node).
 */
export function createPlacementIndex (inventory: readonly InventoryRow[], free: readonly FreeGpu[]): PlacementIndex {
  const nodesByCluster = new Map<number, NodeState[]>()
  const nodes = new Map<number, NodeState>()
  for (const row of inventory) {
    let node = nodes.get(row.nodeId)
    if (node === undefined) {
      node = { id: row.nodeId, clusterId: row.clusterId, online: row.nodeOnline, drained: row.nodeDrained === true, models: [], gpus: [], reserved: false, entries: [] }
      nodes.set(row.nodeId, node)
      let list = nodesByCluster.get(row.clusterId)
      if (list === undefined) nodesByCluster.set(row.clusterId, list = [])
      list.push(node)
    }
    node.models.push({ model: row.model, count: row.count })
  }
  let freeCount = 0
  let reservedCount = 0
  for (const g of free) {
    const node = nodes.get(g.nodeId)
    // A GPU registered between the two reads of the snapshot waits for the next cycle.
    if (node === undefined || !node.online || node.drained) continue
    node.gpus.push({ id: g.id, gpuIndex: g.gpuIndex, model: g.model, free: true })
    freeCount++
  }
  for (const n of nodes.values()) n.gpus.sort((a, b) => a.gpuIndex - b.gpuIndex)

  // A fleet has a handful of models and a queue a handful of gpu_types: decide each pair once.
  const matchCache = new Map<string, Map<string | null, boolean>>()
  const matches = (key: string, model: string | null): boolean => {
    if (key === '') return true
    let byModel = matchCache.get(key)
    if (byModel === undefined) matchCache.set(key, byModel = new Map())
    let m = byModel.get(model)
    if (m === undefined) byModel.set(model, m = gpuTypeMatches(key, model))
    return m
  }
  const capacityOn = (node: NodeState, key: string): number => {
    let n = 0
    for (const m of node.models) if (matches(key, m.model)) n += m.count
    return n
  }
  const freeOn = (node: NodeState, key: string): number => {
    let n = 0
    for (const g of node.gpus) if (g.free && matches(key, g.model)) n++
    return n
  }

  const pools = new Map<string, Pool>()
  const poolFor = (clusterId: number, gpuType: string | null): Pool => {
    const key = gpuTypeKey(gpuType)
    const id = `${clusterId}\u0000${key}`
    let pool = pools.get(id)
    if (pool !== undefined) return pool
    const members = nodesByCluster.get(clusterId) ?? []
    const caps = members.map(n => capacityOn(n, key))
    const maxPerNode = caps.reduce((a, b) => Math.max(a, b), 0)
    const undrained = caps.filter((_, i) => members[i]?.drained !== true)
    pool = {
      clusterId, key, total: caps.reduce((a, b) => a + b, 0), maxPerNode,
      undrainedTotal: undrained.reduce((a, b) => a + b, 0), undrainedMaxPerNode: undrained.reduce((a, b) => Math.max(a, b), 0),
      byFree: Array.from({ length: maxPerNode + 1 }, () => new Set<PoolEntry>()),
      freeUnreserved: 0, reservedMaxFree: 0, reservedTotalFree: 0, noReserveFrom: Infinity,
    }
    members.forEach((node, i) => {
      const capacity = caps[i] ?? 0
      if (!node.online || node.drained || capacity === 0) return
      const entry: PoolEntry = { pool: pool!, node, capacity, free: freeOn(node, key) }
      node.entries.push(entry)
      if (node.reserved) {
        pool!.reservedMaxFree = Math.max(pool!.reservedMaxFree, entry.free)
        pool!.reservedTotalFree += entry.free
      } else {
        pool!.byFree[entry.free]?.add(entry)
        pool!.freeUnreserved += entry.free
      }
    })
    pools.set(id, pool)
    return pool
  }

  const take = (node: NodeState, key: string, count: number): Placement['gpus'] => {
    const taken: Placement['gpus'] = []
    for (const g of node.gpus) {
      if (taken.length === count) break
      if (g.free && matches(key, g.model)) {
        g.free = false
        freeCount--
        taken.push({ gpuId: g.id, nodeId: node.id, model: g.model })
      }
    }
    for (const e of node.entries) {
      const now = freeOn(node, e.pool.key)
      if (now === e.free) continue
      // Taking only happens on unreserved nodes, so every entry is in its bucket.
      e.pool.byFree[e.free]?.delete(e)
      e.pool.byFree[now]?.add(e)
      e.pool.freeUnreserved += now - e.free
      e.free = now
    }
    return taken
  }

  const reserveNode = (node: NodeState): void => {
    node.reserved = true
    reservedCount++
    for (const e of node.entries) {
      e.pool.byFree[e.free]?.delete(e)
      e.pool.freeUnreserved -= e.free
      e.pool.reservedMaxFree = Math.max(e.pool.reservedMaxFree, e.free)
      e.pool.reservedTotalFree += e.free
    }
  }

  /** Unreserved entries, most free GPUs first. Callers stop iterating before they change a bucket. */
  function * byMostFree (pool: Pool): Generator<PoolEntry> {
    for (let k = pool.maxPerNode; k >= 0; k--) yield * (pool.byFree[k] ?? [])
  }

  return {
    capacity (clusterId, gpuType) {
      const p = poolFor(clusterId, gpuType)
      return { total: p.total, maxPerNode: p.maxPerNode }
    },

    place (clusterId, gpuType, count) {
      const pool = poolFor(clusterId, gpuType)
      if (count <= pool.maxPerNode) {
        for (let k = count; k <= pool.maxPerNode; k++) {
          const first = pool.byFree[k]?.values().next()
          if (first !== undefined && first.done !== true) {
            const node = first.value.node
            return { nodeId: node.id, gpus: take(node, pool.key, count) }
          }
        }
        return null
      }
      if (pool.freeUnreserved < count) return null
      const chosen: Array<{ node: NodeState, n: number }> = []
      let left = count
      for (const e of byMostFree(pool)) {
        if (left === 0 || e.free === 0) break
        const n = Math.min(e.free, left)
        chosen.push({ node: e.node, n })
        left -= n
      }
      const gpusTaken = chosen.flatMap(c => take(c.node, pool.key, c.n))
      return { nodeId: chosen[0]?.node.id ?? 0, gpus: gpusTaken }
    },

    fitsWithReserved (clusterId, gpuType, count) {
      const pool = poolFor(clusterId, gpuType)
      if (count <= pool.maxPerNode) return pool.reservedMaxFree >= count
      return pool.freeUnreserved + pool.reservedTotalFree >= count
    },

    onlyFitsDrained (clusterId, gpuType, count) {
      const pool = poolFor(clusterId, gpuType)
      return count <= pool.maxPerNode ? count > pool.undrainedMaxPerNode : count > pool.undrainedTotal
    },

    reserve (clusterId, gpuType, count) {
      const pool = poolFor(clusterId, gpuType)
      if (count >= pool.noReserveFrom) return false
      if (count <= pool.maxPerNode) {
        for (const e of byMostFree(pool)) {
          if (e.capacity >= count) {
            reserveNode(e.node)
            return true
          }
        }
      } else {
        const picked: NodeState[] = []
        let capacity = 0
        for (const e of byMostFree(pool)) {
          if (capacity >= count) break
          picked.push(e.node)
          capacity += e.capacity
        }
        if (capacity >= count) {
          for (const n of picked) reserveNode(n)
          return true
        }
      }
      pool.noReserveFrom = count
      return false
    },

    freeGpus: () => freeCount,
    reservedNodes: () => reservedCount,
  }
}
