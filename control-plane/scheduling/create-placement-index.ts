import type { FreeGpu, InventoryRow, RunningEnd } from '../store/job-repository.ts'
import { ANY_GPU_TYPE, gpuTypeKey, gpuTypeMatches } from './gpu-type-matches.ts'

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
  /** Models of its GPUs that no running job holds and that sent no reading within the freshness limit. */
  unreported: Array<string | null>
  reserved: boolean
  /**
   * When the job it is reserved for is expected to start here: the moment enough running jobs
   * are expected to have ended (epoch ms); null: unknown (a job it waits for has no time limit
   * or estimate). A job whose time limit ends by then may start on its free GPUs (backfill).
   */
  reservedUntil: number | null
  /** Its running jobs' expected ends, per job and model. */
  ends: RunningEnd[]
  entries: PoolEntry[]
}

interface PoolEntry { pool: Pool, node: NodeState, capacity: number, free: number, unreported: number }

/**
 * GPUs of one cluster that one job may take together, bucketed by each node's free count:
 * those of one model, or (the pool of gpu_type "any") all of them.
 */
interface Pool {
  clusterId: number
  /** Every model: the pool of gpu_type "any". */
  mixed: boolean
  /** The model it holds, unless mixed. */
  model: string | null
  /** GPUs registered in the cluster, any node state (for "can never fit"). */
  total: number
  /** On online nodes (fewer than needed: waits for an offline node). */
  onlineTotal: number
  /** Most GPUs on one online node: a job up to this size must fit on one node. */
  maxPerNode: number
  /** onlineTotal and maxPerNode without drained nodes: a job beyond them fits only on a drained node. */
  undrainedTotal: number
  undrainedMaxPerNode: number
  /** byFree[k]: unreserved online nodes with exactly k free matching GPUs, in node order. */
  byFree: Array<Set<PoolEntry>>
  freeUnreserved: number
  reservedMaxFree: number
  reservedTotalFree: number
  /** Reserved online nodes' entries: where a job may backfill by time. */
  reservedEntries: PoolEntry[]
  /** Online nodes with GPUs that send no readings (few: a healthy fleet reports), and their count. */
  unreportedEntries: PoolEntry[]
  unreportedTotal: number
  /**
   * Smallest one-node request that found no node big enough to reserve, and smallest
   * multi-node request that found too few: reservations only shrink what is left, so a larger
   * request of the same kind finds nothing either. Kept apart because a request larger than
   * any node adds up capacities over nodes, which a failed one-node request says nothing about.
   */
  noReserveOneNodeFrom: number
  noReserveSpanFrom: number
}

export interface Placement { nodeId: number, gpus: Array<{ gpuId: number, nodeId: number, model: string | null }> }

/** Node(s) held back for a waiting job, and when it is expected to start there (null: unknown). */
export interface Reservation { nodeIds: number[], expectedStart: number | null }

export interface PlacementInputs {
  /** GPUs on online nodes that send no readings. */
  unreported?: readonly FreeGpu[] | undefined
  /** Running jobs' expected ends (absent: unknown, so nothing backfills by time). */
  ends?: readonly RunningEnd[] | undefined
  /** The cycle's time (epoch ms). */
  at?: number
}

export interface PlacementIndex {
  /**
   * Matching GPUs registered in the cluster that one job can get (total: one model's, or every
   * model's for "any"), every model's together (mixed), and the most on one online node.
   */
  capacity: (clusterId: number, gpuType: string | null) => { total: number, mixed: number, maxPerNode: number }
  /** Takes GPUs for the job if it fits on unreserved free GPUs now; null if not. */
  place: (clusterId: number, gpuType: string | null, count: number) => Placement | null
  /** Whether it would fit if GPUs held back for higher-priority jobs were free to take. */
  fitsWithReserved: (clusterId: number, gpuType: string | null, count: number) => boolean
  /** Whether it would fit as the rules place it only if drained nodes took jobs (pending reason NODE_DRAINED). */
  onlyFitsDrained: (clusterId: number, gpuType: string | null, count: number) => boolean
  /** Holds back node(s) a waiting job is closest to fitting on; null if none were reserved. */
  reserve: (clusterId: number, gpuType: string | null, count: number) => Reservation | null
  /**
   * Takes free GPUs on a reserved node for a one-node job whose time limit ends (at `endsBy`)
   * no later than the reserved job's expected start there, so it never delays it (Slurm's
   * backfill); null if no reserved node qualifies.
   */
  backfill: (clusterId: number, gpuType: string | null, count: number, endsBy: number) => Placement | null
  /** Whether its online nodes have enough matching GPUs, in any state (false: it waits for an offline node). */
  fitsOnline: (clusterId: number, gpuType: string | null, count: number) => boolean
  /** Whether it would fit were the GPUs that send no readings free (and reserved ones too). */
  fitsIfReporting: (clusterId: number, gpuType: string | null, count: number) => boolean
  freeGpus: () => number
  reservedNodes: () => number
}

/**
 * Free-GPU bookkeeping for one cycle, over the fleet's inventory (GPUs per node and model),
 * the GPUs free now (node online, fresh reading, idle, held by no running job: the store's
 * snapshot) and those on online nodes that send no readings. Placement rules:
 * - A job's GPUs are all of one model (the exact model name), unless its gpu_type is "any";
 *   an absent gpu_type takes any one model, a named one any one matching model.
 * - A job that fits on one online node of its cluster (count ≤ the largest online node's GPUs
 *   of one matching model) only ever runs on one node: best fit, the node with the fewest free
 *   GPUs that still holds it, so whole nodes stay free for whole-node jobs. It waits rather
 *   than spread. An offline node is not counted: it may never return.
 * - A job larger than any online node spans nodes, fewest first (most free GPUs first).
 * - Lowest gpu_index first within a node.
 * Pools per (cluster, model) and (cluster, "any") share the GPU and node state, so a GPU taken
 * or a node reserved through one pool is gone from every pool; each update costs O(GPUs per node).
 */
export function createPlacementIndex (inventory: readonly InventoryRow[], free: readonly FreeGpu[], inputs: PlacementInputs = {}): PlacementIndex {
  const { unreported = [], ends = [], at = 0 } = inputs
  const nodesByCluster = new Map<number, NodeState[]>()
  const nodes = new Map<number, NodeState>()
  for (const row of inventory) {
    let node = nodes.get(row.nodeId)
    if (node === undefined) {
      node = {
        id: row.nodeId, clusterId: row.clusterId, online: row.nodeOnline, drained: row.nodeDrained === true,
        models: [], gpus: [], unreported: [], reserved: false, reservedUntil: null, ends: [], entries: [],
      }
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
  for (const g of unreported) {
    const node = nodes.get(g.nodeId)
    if (node !== undefined && node.online) node.unreported.push(g.model)
  }

  for (const e of ends) nodes.get(e.nodeId)?.ends.push(e)

  const accepts = (pool: Pool, model: string | null): boolean => pool.mixed || model === pool.model
  const capacityOn = (node: NodeState, pool: Pool): number => {
    let n = 0
    for (const m of node.models) if (accepts(pool, m.model)) n += m.count
    return n
  }
  const freeOn = (node: NodeState, pool: Pool): number => {
    let n = 0
    for (const g of node.gpus) if (g.free && accepts(pool, g.model)) n++
    return n
  }

  const pools = new Map<string, Pool>()
  const poolOf = (clusterId: number, mixed: boolean, model: string | null): Pool => {
    const id = mixed ? `${clusterId}*` : `${clusterId}=${model === null ? '' : `"${model}`}`
    let pool = pools.get(id)
    if (pool !== undefined) return pool
    pool = {
      clusterId, mixed, model, total: 0, onlineTotal: 0, maxPerNode: 0, byFree: [],
      freeUnreserved: 0, reservedMaxFree: 0, reservedTotalFree: 0, reservedEntries: [], unreportedEntries: [], unreportedTotal: 0, undrainedTotal: 0, undrainedMaxPerNode: 0,
      noReserveOneNodeFrom: Infinity, noReserveSpanFrom: Infinity,
    }
    const members = nodesByCluster.get(clusterId) ?? []
    const caps = members.map(n => capacityOn(n, pool!))
    members.forEach((node, i) => {
      const capacity = caps[i] ?? 0
      pool!.total += capacity
      if (!node.online) return
      pool!.onlineTotal += capacity
      pool!.maxPerNode = Math.max(pool!.maxPerNode, capacity)
      if (node.drained) return
      pool!.undrainedTotal += capacity
      pool!.undrainedMaxPerNode = Math.max(pool!.undrainedMaxPerNode, capacity)
    })
    pool.byFree = Array.from({ length: pool.maxPerNode + 1 }, () => new Set<PoolEntry>())
    members.forEach((node, i) => {
      const capacity = caps[i] ?? 0
      if (!node.online || node.drained || capacity === 0) return
      let silent = 0
      for (const m of node.unreported) if (accepts(pool!, m)) silent++
      const entry: PoolEntry = { pool: pool!, node, capacity, free: freeOn(node, pool!), unreported: silent }
      node.entries.push(entry)
      if (silent > 0) {
        pool!.unreportedEntries.push(entry)
        pool!.unreportedTotal += silent
      }
      if (node.reserved) {
        pool!.reservedMaxFree = Math.max(pool!.reservedMaxFree, entry.free)
        pool!.reservedTotalFree += entry.free
        pool!.reservedEntries.push(entry)
      } else {
        pool!.byFree[entry.free]?.add(entry)
        pool!.freeUnreserved += entry.free
      }
    })
    pools.set(id, pool)
    return pool
  }

  // A fleet has a handful of models and a queue a handful of gpu_types: decide each pair once.
  const poolLists = new Map<string, Pool[]>()
  /** The pools a job may take its GPUs from, one of them per job. */
  const poolsFor = (clusterId: number, gpuType: string | null): Pool[] => {
    // Keyed by the text as given (pools themselves are shared): no normalizing per call.
    const id = `${clusterId}\u0000${gpuType ?? ''}`
    let list = poolLists.get(id)
    if (list !== undefined) return list
    const key = gpuTypeKey(gpuType)
    if (key === ANY_GPU_TYPE) {
      list = [poolOf(clusterId, true, null)]
    } else {
      const models = new Set<string | null>()
      for (const n of nodesByCluster.get(clusterId) ?? []) for (const m of n.models) if (gpuTypeMatches(key, m.model)) models.add(m.model)
      list = [...models].map(m => poolOf(clusterId, false, m))
    }
    poolLists.set(id, list)
    return list
  }
  /** A job up to this size must run on one node. */
  const oneNodeMax = (list: Pool[]): number => {
    let max = 0
    for (const p of list) max = Math.max(max, p.maxPerNode)
    return max
  }

  const take = (node: NodeState, pool: Pool, count: number): Placement['gpus'] => {
    const taken: Placement['gpus'] = []
    for (const g of node.gpus) {
      if (taken.length === count) break
      if (g.free && accepts(pool, g.model)) {
        g.free = false
        freeCount--
        taken.push({ gpuId: g.id, nodeId: node.id, model: g.model })
      }
    }
    for (const e of node.entries) {
      const now = freeOn(node, e.pool)
      if (now === e.free) continue
      if (node.reserved) {
        // Backfill by time: the node stays held for its job, with fewer GPUs free until then.
        e.pool.reservedTotalFree += now - e.free
        e.free = now
        e.pool.reservedMaxFree = 0
        for (const r of e.pool.reservedEntries) e.pool.reservedMaxFree = Math.max(e.pool.reservedMaxFree, r.free)
        continue
      }
      e.pool.byFree[e.free]?.delete(e)
      e.pool.byFree[now]?.add(e)
      e.pool.freeUnreserved += now - e.free
      e.free = now
    }
    return taken
  }

  const reserveNode = (node: NodeState, until: number | null): void => {
    node.reserved = true
    node.reservedUntil = until
    reservedCount++
    for (const e of node.entries) {
      e.pool.byFree[e.free]?.delete(e)
      e.pool.freeUnreserved -= e.free
      e.pool.reservedMaxFree = Math.max(e.pool.reservedMaxFree, e.free)
      e.pool.reservedTotalFree += e.free
      e.pool.reservedEntries.push(e)
    }
  }

  /**
   * When `count` GPUs of the pool are expected free on these nodes together: now if they are,
   * else the expected end of the running job that completes the count. null: unknown, because
   * a job that must end first has neither a time limit nor an estimate, or the GPUs it needs
   * are busy with no job at all.
   */
  const expectedStart = (entries: readonly PoolEntry[], pool: Pool, count: number): number | null => {
    let have = 0
    const pending: RunningEnd[] = []
    for (const e of entries) {
      have += e.free
      for (const end of e.node.ends) if (accepts(pool, end.model)) pending.push(end)
    }
    if (have >= count) return at
    pending.sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity))
    for (const end of pending) {
      if (end.at === null) return null
      have += end.gpus
      if (have >= count) return Math.max(at, end.at)
    }
    return null
  }

  /** Unreserved entries, most free GPUs first. Callers stop iterating before they change a bucket. */
  function * byMostFree (pool: Pool): Generator<PoolEntry> {
    for (let k = pool.maxPerNode; k >= 0; k--) yield * (pool.byFree[k] ?? [])
  }

  const hold = (picked: readonly PoolEntry[], pool: Pool, count: number): Reservation => {
    const until = expectedStart(picked, pool, count)
    for (const e of picked) reserveNode(e.node, until)
    return { nodeIds: picked.map(e => e.node.id), expectedStart: until }
  }

  /** Holds back the node(s) of one pool a waiting job is closest to fitting on; null if none were reserved. */
  const reserveIn = (pool: Pool, count: number): Reservation | null => {
    if (count <= pool.maxPerNode) {
      if (count >= pool.noReserveOneNodeFrom) return null
      for (const e of byMostFree(pool)) {
        if (e.capacity >= count) return hold([e], pool, count)
      }
      pool.noReserveOneNodeFrom = count
      return null
    }
    if (count >= pool.noReserveSpanFrom) return null
    const picked: PoolEntry[] = []
    let capacity = 0
    for (const e of byMostFree(pool)) {
      if (capacity >= count) break
      picked.push(e)
      capacity += e.capacity
    }
    if (capacity >= count) return hold(picked, pool, count)
    pool.noReserveSpanFrom = count
    return null
  }

  return {
    capacity (clusterId, gpuType) {
      const list = poolsFor(clusterId, gpuType)
      let total = 0
      let mixed = 0
      for (const p of list) {
        total = Math.max(total, p.total)
        mixed += p.total
      }
      return { total, mixed, maxPerNode: oneNodeMax(list) }
    },

    place (clusterId, gpuType, count) {
      const list = poolsFor(clusterId, gpuType)
      if (count <= oneNodeMax(list)) {
        // Best fit over every pool: the node with the fewest free GPUs that holds the job.
        let best: PoolEntry | undefined
        for (const pool of list) {
          const upTo = Math.min(pool.maxPerNode, (best?.free ?? Infinity) - 1)
          for (let k = count; k <= upTo; k++) {
            const first = pool.byFree[k]?.values().next()
            if (first !== undefined && first.done !== true) {
              best = first.value
              break
            }
          }
        }
        return best === undefined ? null : { nodeId: best.node.id, gpus: take(best.node, best.pool, count) }
      }
      // Spanning nodes: the pool that needs the fewest.
      let from: Pool | undefined
      let chosen: Array<{ node: NodeState, n: number }> = []
      for (const pool of list) {
        if (pool.freeUnreserved < count) continue
        const nodesHere: typeof chosen = []
        let left = count
        for (const e of byMostFree(pool)) {
          if (left === 0 || e.free === 0) break
          const n = Math.min(e.free, left)
          nodesHere.push({ node: e.node, n })
          left -= n
        }
        if (from === undefined || nodesHere.length < chosen.length) {
          from = pool
          chosen = nodesHere
        }
      }
      if (from === undefined) return null
      const pool = from
      const gpusTaken = chosen.flatMap(c => take(c.node, pool, c.n))
      return { nodeId: chosen[0]?.node.id ?? 0, gpus: gpusTaken }
    },

    fitsWithReserved (clusterId, gpuType, count) {
      const list = poolsFor(clusterId, gpuType)
      if (count <= oneNodeMax(list)) return list.some(p => p.reservedMaxFree >= count)
      return list.some(p => p.freeUnreserved + p.reservedTotalFree >= count)
    },

    onlyFitsDrained (clusterId, gpuType, count) {
      const list = poolsFor(clusterId, gpuType)
      if (count <= oneNodeMax(list)) return !list.some(p => p.undrainedMaxPerNode >= count)
      return !list.some(p => p.undrainedTotal >= count)
    },

    reserve (clusterId, gpuType, count) {
      const list = poolsFor(clusterId, gpuType)
      const oneNode = count <= oneNodeMax(list)
      // Of several models, the one with the most free GPUs first: closest to fitting.
      const order = list.length === 1 ? list : [...list].sort((a, b) => b.freeUnreserved - a.freeUnreserved)
      for (const pool of order) {
        // A job that fits one node never spans the nodes of a model whose nodes are all smaller.
        if (oneNode && count > pool.maxPerNode) continue
        const held = reserveIn(pool, count)
        if (held !== null) return held
      }
      return null
    },

    backfill (clusterId, gpuType, count, endsBy) {
      const list = poolsFor(clusterId, gpuType)
      if (count > oneNodeMax(list)) return null
      // Best fit among the reserved nodes it may use, as place() does among the others.
      let best: PoolEntry | undefined
      for (const pool of list) {
        for (const e of pool.reservedEntries) {
          const until = e.node.reservedUntil
          if (until === null || until < endsBy || e.free < count) continue
          if (best === undefined || e.free < best.free) best = e
        }
      }
      return best === undefined ? null : { nodeId: best.node.id, gpus: take(best.node, best.pool, count) }
    },

    fitsOnline (clusterId, gpuType, count) {
      return poolsFor(clusterId, gpuType).some(p => p.onlineTotal >= count)
    },

    fitsIfReporting (clusterId, gpuType, count) {
      const list = poolsFor(clusterId, gpuType)
      if (count <= oneNodeMax(list)) return list.some(p => p.unreportedEntries.some(e => e.free + e.unreported >= count))
      return list.some(p => p.unreportedTotal > 0 && p.freeUnreserved + p.reservedTotalFree + p.unreportedTotal >= count)
    },

    freeGpus: () => freeCount,
    reservedNodes: () => reservedCount,
  }
}
