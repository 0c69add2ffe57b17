import type { Store } from '../store/store.ts'
import type { ActivityInput, Cluster, Gpu, GpuHealth, GpuReadingUpdate, GpuStatus, MigInstance, MigMode, NodeUpsertResult } from '../store/fleet-repository.ts'
import type { IngestNode, MigInstanceRow } from '../../shared/wire/gpu-stats.ts'
import type { NodeRegistration, GpuRegistration } from '../../shared/wire/registration.ts'
import { httpError } from '../../shared/error-codes.ts'
import { NodeInOtherClusterError } from '../store/fleet-repository.ts'
import { clusterMismatch, nodeOwnedByOtherCluster, regionMismatch } from './cluster-binding-errors.ts'
import type { FleetLogger } from './fleet-logger.ts'
import { gpuStatusFor } from './gpu-status-for.ts'
import { mergeReadings } from './merge-readings.ts'
import type { MetricRow } from './parse-metric-rows.ts'

/** One GPU's readings as telemetry ingest has them (seed 000 row fields; gpu_id is the index). */
export interface ActivityReading {
  gpu_id: number
  name?: string | null | undefined
  uuid?: string | null | undefined
  utilization_pct?: number | null | undefined
  memory_used_mb?: number | null | undefined
  memory_total_mb?: number | null | undefined
  temp_c?: number | null | undefined
  power_draw_w?: number | null | undefined
  /** Absent: not reported (kept as stored). */
  mig_mode?: MigMode | null | undefined
  mig_instances?: MigInstanceRow[] | null | undefined
}

/**
 * A GPU whose new reading is idle, with the reading it replaced: the scheduler tells a GPU
 * that just became free (busy, unknown or silent before) from one that stayed idle.
 */
export interface IdleReading {
  gpuId: number
  model: string | null
  before: { status: GpuStatus, at: number | null }
}

/**
 * The cluster a caller's agent key is bound to (Principal.clusterId), or null for an unbound
 * caller (a write key, or an ingest key an admin made unbound): bound callers act for that
 * cluster's nodes only, never create or change a cluster (403, nothing written; see
 * cluster-binding-errors.ts).
 */
export type BoundCluster = number | null

export interface FleetService {
  registerNode: (body: NodeRegistration, bound?: BoundCluster) => Promise<NodeUpsertResult & { cluster: Cluster }>
  registerGpus: (body: GpuRegistration, bound?: BoundCluster) => Promise<Gpu[]>
  /** Seed 003 metrics rows (already range-checked); unknown gpu ids come back in `unknownIds`. */
  recordMetrics: (rows: ReadonlyArray<MetricRow>, bound?: BoundCluster) => Promise<{ updated: Array<Gpu & { clusterId: number }>, unknownIds: number[] }>
  /** Telemetry ingest: who is pushing. Creates the node (and, unbound, its cluster) on first sight. */
  resolveIngestNode: (node?: IngestNode, bound?: BoundCluster) => Promise<{ nodeId: number, clusterId: number }>
  /**
   * Telemetry ingest, 1 Hz per node: the node is seen now, and `readings` (taken at `at`;
   * for a batch pass the newest tick's rows) become the GPUs' live readings.
   */
  recordActivity: (nodeId: number, readings: readonly ActivityReading[], at: number) => Promise<void>
  /** A deleted node: dropped from this process's cache, so its agent's next push registers it afresh. */
  forget: (nodeId: number) => void
}

export interface FleetServiceDeps {
  store: Store
  now: () => number
  log?: FleetLogger | undefined
  /**
   * Ingest hot path: a node's last_seen_at and an unchanged GPU reading are rewritten at most
   * this often. Far below the 90 s offline threshold and the 30 s staleness the router uses.
   */
  rewriteAfterMs?: number | undefined
  /**
   * Told, once they are written, of GPUs whose new reading is idle (telemetry and seed 003
   * metrics alike), one cluster at a time; not awaited by the caller, a failure is logged.
   */
  onIdle?: ((clusterId: number, gpus: IdleReading[]) => void | Promise<void>) | undefined
  /**
   * Telemetry's due writes wait for this (default setImmediate: the next event-loop turn) so
   * that every push heard meanwhile is written in one store call, one transaction.
   */
  defer?: ((fn: () => void) => void) | undefined
}

/** Seed 000's single-host reporter sends no `node`: it becomes this node in this cluster. */
export const DEFAULT_NODE = 'default'
export const DEFAULT_CLUSTER = 'default'

interface GpuState { gpu: Gpu, writtenAt: number }

// An empty uuid or name (the agent sends '' when the driver said N/A) is no identity at all.
const present = (s: string | null | undefined): string | undefined => (s == null || s === '' ? undefined : s)

const toMigInstance = (m: MigInstanceRow): MigInstance => ({
  gpuInstanceId: m.gpu_instance_id,
  computeInstanceId: m.compute_instance_id,
  profile: m.profile,
  uuid: m.uuid,
  memoryTotalMb: m.memory_total_mb,
  memoryUsedMb: m.memory_used_mb,
})

const sameMig = (a: MigInstance[] | null | undefined, b: MigInstance[] | null | undefined): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/** The cache's own GPU after a write of `u`: updated in place (no copy of the row per GPU and push). */
const applyUpdate = (gpu: Gpu, u: GpuReadingUpdate): void => {
  if (u.migMode !== undefined) gpu.migMode = u.migMode
  if (u.migInstances !== undefined) gpu.migInstances = u.migInstances
  gpu.utilizationPct = u.utilizationPct
  gpu.memoryUsedMb = u.memoryUsedMb
  gpu.memoryTotalMb = u.memoryTotalMb
  gpu.temperatureC = u.temperatureC
  gpu.powerDrawW = u.powerDrawW
  gpu.status = u.status
  gpu.updatedAt = u.at
}

/** A copy of `gpu` with `u` written (the cached row itself stays as it was). */
const withUpdate = (gpu: Gpu, u: GpuReadingUpdate): Gpu => {
  const copy = { ...gpu }
  applyUpdate(copy, u)
  return copy
}

interface NodeState { id: number, clusterId: number, hostname: string, seenWrittenAt: number, gpus: Map<number, GpuState> | null }

type ActivityResult = Awaited<ReturnType<Store['fleet']['recordActivity']>>

/** Most GPU readings one gathered telemetry write carries; more start the next one. */
const MAX_BATCH_READINGS = 4096

/**
 * A change of a GPU's used memory the scheduler and the router must see at once: a job
 * starting or ending moves gigabytes; a serving process's drift of a few MiB a second does
 * not change a placement, and waits for the next rewrite (rewriteAfterMs) with the other
 * readings. Known ↔ unknown and a changed total (a MIG change) always count.
 */
export const MEMORY_MOVE_MIB = 1024
const memoryMoved = (cur: Gpu, next: { memoryUsedMb: number | null, memoryTotalMb: number | null }): boolean =>
  next.memoryTotalMb !== cur.memoryTotalMb ||
  (next.memoryUsedMb === null) !== (cur.memoryUsedMb === null) ||
  Math.abs((next.memoryUsedMb ?? 0) - (cur.memoryUsedMb ?? 0)) >= MEMORY_MOVE_MIB

export function createFleetService ({ store, now, log, rewriteAfterMs = 5000, onIdle, defer = setImmediate }: FleetServiceDeps): FleetService {
  const fleet = store.fleet
  // Telemetry pushes' due writes, gathered until the next turn: one transaction for every
  // node that pushed meanwhile instead of one per push (a transaction's fixed costs once per
  // turn, not per push). Each caller hears the shared result.
  let batch: { input: ActivityInput, result: Promise<ActivityResult> } | null = null
  const writeActivity = (seen: ActivityInput['seen'], readings: GpuReadingUpdate[]): Promise<ActivityResult> => {
    if (batch === null || batch.input.readings.length + readings.length > MAX_BATCH_READINGS) {
      const input: ActivityInput = { seen: [], readings: [] }
      const open = { input, result: new Promise<void>(resolve => defer(resolve)).then(() => {
        // Closed before the store reads it: later pushes start the next batch.
        if (batch === open) batch = null
        return fleet.recordActivity(input)
      }) }
      batch = open
    }
    for (const s of seen) batch.input.seen.push(s)
    for (const r of readings) batch.input.readings.push(r)
    return batch.result
  }
  const tellIdle = (clusterId: number, gpus: IdleReading[]): void => {
    if (onIdle === undefined || gpus.length === 0) return
    Promise.resolve()
      .then(() => onIdle(clusterId, gpus))
      .catch((err: unknown) => log?.warn({ err: { message: (err as Error).message }, clusterId }, 'fleet onIdle failed'))
  }
  const idleReading = (before: Gpu): IdleReading => ({ gpuId: before.id, model: before.model, before: { status: before.status, at: before.updatedAt } })
  // Per-process caches: identity never changes once made, and write times only skip writes,
  // so another replica writing the same rows at worst costs an extra write, never a wrong one.
  const byId = new Map<number, NodeState>()
  const byHostname = new Map<string, number>()

  const remember = (n: { id: number, clusterId: number, hostname: string }, seenWrittenAt: number | null): NodeState => {
    let st = byId.get(n.id)
    if (st === undefined) {
      st = { id: n.id, clusterId: n.clusterId, hostname: n.hostname, seenWrittenAt: -Infinity, gpus: null }
      byId.set(n.id, st)
    }
    st.clusterId = n.clusterId
    if (seenWrittenAt !== null) st.seenWrittenAt = seenWrittenAt
    byHostname.set(n.hostname, n.id)
    return st
  }

  const forgetNode = (nodeId: number): void => {
    const st = byId.get(nodeId)
    byId.delete(nodeId)
    if (st !== undefined && byHostname.get(st.hostname) === nodeId) byHostname.delete(st.hostname)
  }

  const nodeState = async (nodeId: number): Promise<NodeState | null> => {
    const cached = byId.get(nodeId)
    if (cached !== undefined) return cached
    const node = await fleet.getNode(nodeId)
    return node === null ? null : remember(node, null)
  }

  // Clusters are never renamed, so a bound key's cluster is read once; its region can be set
  // later (ensureCluster by an unbound caller), so a mismatch re-reads before refusing.
  const clusters = new Map<number, Cluster>()
  const boundCluster = async (id: number, fresh = false): Promise<Cluster> => {
    const cached = fresh ? undefined : clusters.get(id)
    if (cached !== undefined) return cached
    const cluster = await fleet.getCluster(id)
    if (cluster === null) throw clusterMismatch(null, 'its cluster no longer exists')
    clusters.set(id, cluster)
    return cluster
  }

  /** The cluster a bound caller names (by id or name, plus region) must be its own. */
  const checkClaim = async (bound: number, claim: { id?: number | undefined, name?: string | undefined, region?: string | undefined }): Promise<Cluster> => {
    let cluster = await boundCluster(bound)
    if (claim.id !== undefined && claim.id !== cluster.id) throw clusterMismatch(cluster, `the request names cluster id ${claim.id}`)
    if (claim.name !== undefined && claim.name !== cluster.name) throw clusterMismatch(cluster, `the request names cluster "${claim.name.slice(0, 128)}"`)
    if (claim.region !== undefined && claim.region !== cluster.region) {
      cluster = await boundCluster(bound, true)
      if (claim.region !== cluster.region) throw regionMismatch(cluster, claim.region)
    }
    return cluster
  }

  // Whether a node is the bound cluster's. The cache may be stale when another replica moved the
  // node (an unbound caller may): a mismatch re-reads the node before refusing.
  const ownedBy = async (st: NodeState, bound: number): Promise<boolean> => {
    if (st.clusterId === bound) return true
    const fresh = await fleet.getNode(st.id)
    if (fresh === null) return false
    remember(fresh, null)
    return fresh.clusterId === bound
  }

  const upsertOwn = async (input: Parameters<typeof fleet.upsertNode>[0], t: number, cluster: Cluster) => {
    try {
      return await fleet.upsertNode({ ...input, keepCluster: true }, t)
    } catch (err) {
      if (err instanceof NodeInOtherClusterError) throw nodeOwnedByOtherCluster(cluster, err.hostname)
      throw err
    }
  }

  const gpuStates = async (st: NodeState): Promise<Map<number, GpuState>> => {
    const old = st.gpus
    const fresh = new Map<number, GpuState>()
    for (const gpu of await fleet.listGpus({ nodeId: st.id })) {
      fresh.set(gpu.gpuIndex, { gpu, writtenAt: old?.get(gpu.gpuIndex)?.writtenAt ?? -Infinity })
    }
    st.gpus = fresh
    return fresh
  }

  return {
    forget: forgetNode,

    async registerNode (body, bound = null) {
      const t = now()
      let cluster: Cluster | null
      if (bound !== null) {
        // A bound key's cluster is fixed: it may name it (by id or name), never another one.
        cluster = await checkClaim(bound, { id: body.cluster_id, name: body.cluster_name, region: body.region })
      } else if (body.cluster_id !== undefined) {
        // cluster_id wins when both are sent: it is the seed's field.
        cluster = await fleet.getCluster(body.cluster_id)
        if (cluster === null) throw httpError('CLUSTER_NOT_FOUND', `no cluster with id ${body.cluster_id}`)
      } else {
        cluster = await fleet.ensureCluster(body.cluster_name as string, body.region ?? null, t)
      }
      const input = {
        clusterId: cluster.id,
        hostname: body.hostname,
        ipAddress: body.ip_address,
        totalGpus: body.total_gpus,
        cpuCores: body.cpu_cores,
        ramGb: body.ram_gb,
        agentUrl: body.agent_url,
      }
      const result = bound === null ? await fleet.upsertNode(input, t) : await upsertOwn(input, t, cluster)
      remember(result.node, t)
      if (result.created) log?.info({ nodeId: result.node.id, hostname: result.node.hostname, clusterId: cluster.id }, 'node registered')
      if (result.cameOnline) log?.info({ nodeId: result.node.id, hostname: result.node.hostname }, 'node back online')
      return { ...result, cluster }
    },

    async registerGpus (body, bound = null) {
      const st = await nodeState(body.node_id)
      if (st === null) throw httpError('NODE_NOT_FOUND', `no node with id ${body.node_id}`)
      if (bound !== null && !await ownedBy(st, bound)) throw nodeOwnedByOtherCluster(await boundCluster(bound), st.hostname)
      const created = await fleet.registerGpus(st.id, body.gpus.map(g => ({
        gpuIndex: g.gpu_index, uuid: present(g.uuid), model: g.model, vramMb: g.vram_mb,
        ...(g.health !== undefined && { health: gpuHealth(g.health) }),
      })), now())
      st.gpus = null
      return created
    },

    async recordMetrics (rows, bound = null) {
      const t = now()
      const ids = [...new Set(rows.map(r => r.gpu_id))]
      const current = new Map((await fleet.listGpus({ ids })).map(g => [g.id, g]))
      if (bound !== null) {
        // All or nothing: one row for another cluster's GPU refuses the request before any write.
        for (const nodeId of new Set([...current.values()].map(g => g.nodeId))) {
          const st = await nodeState(nodeId)
          if (st !== null && !await ownedBy(st, bound)) {
            const foreign = [...current.values()].filter(g => g.nodeId === nodeId).map(g => g.id)
            throw nodeOwnedByOtherCluster(await boundCluster(bound), st.hostname, { gpu_ids: foreign })
          }
        }
      }
      const updates = new Map<number, GpuReadingUpdate>()
      const unknownIds: number[] = []
      for (const row of rows) {
        const gpu = current.get(row.gpu_id)
        if (gpu === undefined) {
          unknownIds.push(row.gpu_id)
          continue
        }
        // Rows for the same GPU apply in order, so the last one wins field by field.
        const merged = mergeReadings(updates.get(gpu.id) ?? gpu, {
          utilizationPct: row.utilization_pct,
          memoryUsedMb: row.memory_used_mb,
          memoryTotalMb: row.memory_total_mb,
          temperatureC: row.temperature_c,
          powerDrawW: row.power_draw_w,
        })
        updates.set(gpu.id, { ...merged, gpuId: gpu.id, status: gpuStatusFor(merged.utilizationPct), at: t })
      }
      const nodeIds = [...new Set([...updates.keys()].map(id => (current.get(id) as Gpu).nodeId))]
      await fleet.recordActivity({ seen: nodeIds.map(nodeId => ({ nodeId, at: t, via: 'metrics' })), readings: [...updates.values()] })
      const clusterOf = new Map<number, number>()
      for (const nodeId of nodeIds) {
        const st = await nodeState(nodeId)
        if (st === null) continue
        st.seenWrittenAt = t
        st.gpus = null // this path bypassed the cache; reload it on the next sample
        clusterOf.set(nodeId, st.clusterId)
      }
      const updated = [...updates.values()].map(u => {
        const gpu = current.get(u.gpuId) as Gpu
        return { ...withUpdate(gpu, u), clusterId: clusterOf.get(gpu.nodeId) ?? 0 }
      })
      const idleByCluster = new Map<number, IdleReading[]>()
      for (const u of updates.values()) {
        const gpu = current.get(u.gpuId) as Gpu
        const clusterId = clusterOf.get(gpu.nodeId)
        if (clusterId === undefined || u.status !== 'idle') continue
        let list = idleByCluster.get(clusterId)
        if (list === undefined) idleByCluster.set(clusterId, list = [])
        list.push(idleReading(gpu))
      }
      for (const [clusterId, gpus] of idleByCluster) tellIdle(clusterId, gpus)
      return { updated, unknownIds }
    },

    async resolveIngestNode (node, bound = null) {
      const hostname = node?.hostname ?? DEFAULT_NODE
      const own = bound === null ? null : await checkClaim(bound, { name: node?.cluster, region: node?.region })
      const mine = async (st: NodeState) => {
        if (own !== null && !await ownedBy(st, own.id)) throw nodeOwnedByOtherCluster(own, st.hostname)
        return { nodeId: st.id, clusterId: st.clusterId }
      }
      if (node?.node_id !== undefined) {
        // An id whose record has another hostname is a cloned agent state file: trust the hostname.
        const st = await nodeState(node.node_id)
        if (st !== null && st.hostname === hostname) return await mine(st)
      }
      const cachedId = byHostname.get(hostname)
      const cached = cachedId === undefined ? undefined : byId.get(cachedId)
      if (cached !== undefined) return await mine(cached)
      const found = await fleet.getNodeByHostname(hostname)
      if (found !== null) return await mine(remember(found, null))
      const t = now()
      const cluster = own ?? await fleet.ensureCluster(node?.cluster ?? DEFAULT_CLUSTER, node?.region ?? null, t)
      const upsert = { clusterId: cluster.id, hostname }
      const { node: created } = own === null ? await fleet.upsertNode(upsert, t) : await upsertOwn(upsert, t, own)
      log?.info({ nodeId: created.id, hostname, clusterId: created.clusterId }, 'node registered by its first telemetry push')
      const st = remember(created, t)
      return { nodeId: st.id, clusterId: st.clusterId }
    },

    async recordActivity (nodeId, readings, at) {
      const t = now()
      // An agent clock ahead of ours must not make samples look fresher than they can be.
      const sampleAt = Math.min(at, t)
      const st = await nodeState(nodeId)
      if (st === null) throw httpError('NODE_NOT_FOUND', `no node with id ${nodeId}`)
      let gpus = st.gpus ?? await gpuStates(st)
      const latest = new Map<number, ActivityReading>()
      for (const r of readings) latest.set(r.gpu_id, r)

      const toRegister = [...latest.values()].filter(r => {
        const known = gpus.get(r.gpu_id)?.gpu
        if (known === undefined) return true
        const uuid = present(r.uuid)
        return (uuid !== undefined && uuid !== known.uuid) || (present(r.name) !== undefined && known.model === null)
      })
      if (toRegister.length > 0) {
        try {
          await fleet.registerGpus(nodeId, toRegister.map(r => ({ gpuIndex: r.gpu_id, uuid: present(r.uuid), model: present(r.name) })), t)
        } catch (err) {
          // A node deleted since it was cached (the foreign key refuses its GPUs): forget it.
          if (await fleet.getNode(nodeId) !== null) throw err
          forgetNode(nodeId)
          log?.info({ nodeId, hostname: st.hostname }, 'node deleted elsewhere: forgotten')
          return
        }
        gpus = await gpuStates(st)
      }

      const updates: Array<{ state: GpuState, update: GpuReadingUpdate }> = []
      for (const r of latest.values()) {
        const state = gpus.get(r.gpu_id)
        if (state === undefined) continue
        const cur = state.gpu
        if (cur.updatedAt !== null && sampleAt < cur.updatedAt) continue
        const merged = mergeReadings(cur, {
          utilizationPct: r.utilization_pct,
          memoryUsedMb: r.memory_used_mb,
          memoryTotalMb: r.memory_total_mb,
          temperatureC: r.temp_c,
          powerDrawW: r.power_draw_w,
        })
        const status = gpuStatusFor(merged.utilizationPct)
        // A row without MIG fields (older agents, the seed's reporter) keeps what is stored.
        const mig = r.mig_mode === undefined && r.mig_instances === undefined
          ? {}
          : {
              migMode: r.mig_mode ?? null,
              migInstances: r.mig_mode === 'Enabled' ? (r.mig_instances == null ? null : r.mig_instances.map(toMigInstance)) : null,
            }
        // Status and memory are what the scheduler and the router act on: write them at once
        // (memory once it moved by MEMORY_MOVE_MIB); the rest (utilization, temperature, power,
        // MIG memory, a small memory drift) may lag by rewriteAfterMs.
        const due = cur.updatedAt === null || t - state.writtenAt >= rewriteAfterMs ||
          status !== cur.status || memoryMoved(cur, merged) ||
          (mig.migMode !== undefined && (mig.migMode !== (cur.migMode ?? null) ||
            !sameMig(mig.migInstances?.map(m => ({ ...m, memoryUsedMb: null })), cur.migInstances?.map(m => ({ ...m, memoryUsedMb: null })))))
        if (due) updates.push({ state, update: { ...merged, ...mig, gpuId: cur.id, status, at: sampleAt } })
      }
      const seenDue = t - st.seenWrittenAt >= rewriteAfterMs
      if (!seenDue && updates.length === 0) return

      const { cameOnline, missing } = await writeActivity(seenDue ? [{ nodeId, at: t, via: 'sample' }] : [], updates.map(u => u.update))
      if (missing.includes(nodeId)) {
        // Deleted since it was cached (by another replica: this one forgets at its own delete).
        // The agent's next push resolves its hostname afresh and registers it as a new node.
        forgetNode(nodeId)
        log?.info({ nodeId, hostname: st.hostname }, 'node deleted elsewhere: forgotten')
        return
      }
      if (seenDue) st.seenWrittenAt = t
      const idle: IdleReading[] = []
      for (const { state, update } of updates) {
        if (update.status === 'idle') idle.push(idleReading(state.gpu))
        applyUpdate(state.gpu, update)
        state.writtenAt = t
      }
      if (cameOnline.includes(nodeId)) log?.info({ nodeId, hostname: st.hostname }, 'node back online')
      tellIdle(st.clusterId, idle)
    },
  }
}

/** The wire's health (fields the agent left out are null, "not said") → the store's. */
function gpuHealth (h: NonNullable<GpuRegistration['gpus'][number]['health']>): GpuHealth {
  return {
    xidCount: h.xid_count ?? null,
    xidLast: h.xid_last ?? null,
    xidLastAt: h.xid_last_at === undefined || h.xid_last_at === null ? null : Date.parse(h.xid_last_at),
    remappedRowsCorrectable: h.remapped_rows_correctable ?? null,
    remappedRowsUncorrectable: h.remapped_rows_uncorrectable ?? null,
    remappedRowsPending: h.remapped_rows_pending ?? null,
    remappedRowsFailure: h.remapped_rows_failure ?? null,
  }
}
