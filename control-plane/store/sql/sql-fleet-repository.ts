import type {
  ActivityInput, Cluster, FleetNode, FleetRepository, Gpu, GpuQuery, GpuUpsert, NodeEventKind, NodeEventQuery, NodeUpsert,
} from '../fleet-repository.ts'
import { NodeInOtherClusterError } from '../fleet-repository.ts'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { FLEET_LOCK, SCHEDULING_LOCK } from '../store-locks.ts'
import { GPU_HEALTH_UPDATE, gpuHealthArgs, migInstancesColumn, toCluster, toGpu, toNode, toNodeEvent } from './fleet-rows.ts'

// An absent optional field is stored as NULL.
const v = <T>(x: T | undefined): T | null => x ?? null
const DEFAULT_EVENT_LIMIT = 1000

export function createSqlFleetRepository (db: SqlDb): FleetRepository {
  const { dialect } = db
  const seenAt = dialect.greatest('COALESCE(last_seen_at, 0)', '?')

  const nodeById = async (q: SqlQuery, id: number): Promise<FleetNode | null> => {
    const r = await q.one('SELECT * FROM nodes WHERE id = ?', id)
    return r === undefined ? null : toNode(r)
  }
  const gpusOfNode = async (q: SqlQuery, nodeId: number): Promise<Gpu[]> =>
    (await q.all('SELECT * FROM gpus WHERE node_id = ? ORDER BY gpu_index', nodeId)).map(toGpu)
  const gpusById = async (q: SqlQuery, ids: readonly number[]): Promise<Gpu[]> => {
    if (ids.length === 0) return []
    return (await q.all(`SELECT * FROM gpus WHERE ${dialect.inList('id', 'bigint')} ORDER BY node_id, gpu_index`, ids)).map(toGpu)
  }

  const addEvent = async (q: SqlQuery, nodeId: number, kind: NodeEventKind, at: number, detail: Record<string, unknown> | null) => {
    await q.run('INSERT INTO node_events (node_id, kind, at, detail) VALUES (?, ?, ?, ?)', nodeId, kind, at, detail === null ? null : JSON.stringify(detail))
  }

  /**
   * Marks a node seen; writes an 'online' event if it was offline. An online node takes one
   * statement. Otherwise the row lock (forUpdate) makes "was it offline" and the update one
   * step, so two concurrent pushes from a returning node write one 'online' event, not two.
   */
  const touch = async (q: SqlQuery, nodeId: number, at: number, via: string): Promise<boolean> => {
    if (await q.run(`UPDATE nodes SET last_seen_at = ${seenAt} WHERE id = ? AND status = 'online'`, at, nodeId) > 0) return false
    const r = await q.one<{ status: string, last_seen_at: number | null }>(`SELECT status, last_seen_at FROM nodes WHERE id = ?${dialect.forUpdate}`, nodeId)
    if (r === undefined) return false
    await q.run(`UPDATE nodes SET status = 'online', last_seen_at = ${seenAt} WHERE id = ?`, at, nodeId)
    if (r.status !== 'offline') return false
    const lastSeen = r.last_seen_at === null ? null : Number(r.last_seen_at)
    await addEvent(q, nodeId, 'online', at, { via, offline_for_ms: lastSeen === null ? null : Math.max(0, at - lastSeen) })
    return true
  }

  const registerGpusTx = async (q: SqlQuery, nodeId: number, gpus: readonly GpuUpsert[], at: number): Promise<Gpu[]> => {
    const working = await gpusOfNode(q, nodeId)
    const createdIds: number[] = []
    for (const g of gpus) {
      // Index first (the seed's idempotency key), then uuid (a GPU reported without its index).
      let target = g.gpuIndex === undefined ? undefined : working.find(x => x.gpuIndex === g.gpuIndex)
      if (target === undefined && g.uuid !== undefined) target = working.find(x => x.uuid === g.uuid)
      if (target === undefined) {
        const used = new Set(working.map(x => x.gpuIndex))
        let index = g.gpuIndex ?? 0
        if (g.gpuIndex === undefined) while (used.has(index)) index++
        const r = await q.one('INSERT INTO gpus (node_id, gpu_index, uuid, model, vram_mb, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
          nodeId, index, v(g.uuid), v(g.model), v(g.vramMb), at)
        target = toGpu(r!)
        working.push(target)
        createdIds.push(target.id)
      } else {
        // Reaching here by uuid with an index given means that index is free: the GPU moved.
        if (g.gpuIndex !== undefined) target.gpuIndex = g.gpuIndex
        if (g.uuid !== undefined) target.uuid = g.uuid
        if (g.model !== undefined) target.model = g.model
        if (g.vramMb !== undefined) target.vramMb = g.vramMb
        await q.run('UPDATE gpus SET gpu_index = ?, uuid = ?, model = ?, vram_mb = ? WHERE id = ?',
          target.gpuIndex, target.uuid, target.model, target.vramMb, target.id)
      }
      if (g.health !== undefined) {
        await q.run(GPU_HEALTH_UPDATE, ...gpuHealthArgs(g.health, at, target.id))
        target.health = g.health
        target.healthAt = at
      }
      if (g.uuid !== undefined) {
        // A uuid names one physical GPU: the newest report of where it sits wins.
        for (const other of working) {
          if (other !== target && other.uuid === g.uuid) {
            other.uuid = null
            await q.run('UPDATE gpus SET uuid = NULL WHERE id = ?', other.id)
          }
        }
      }
    }
    return gpusById(q, createdIds)
  }

  return {
    async createCluster ({ name, region, defaultTimeLimitMin = null }, at) {
      const r = await db.one('INSERT INTO clusters (name, region, created_at, default_time_limit_min) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING *',
        name, region, at, defaultTimeLimitMin)
      return r === undefined ? null : toCluster(r)
    },

    async updateCluster (id, patch) {
      if (patch.defaultTimeLimitMin !== undefined) await db.run('UPDATE clusters SET default_time_limit_min = ? WHERE id = ?', patch.defaultTimeLimitMin, id)
      const r = await db.one('SELECT * FROM clusters WHERE id = ?', id)
      return r === undefined ? null : toCluster(r)
    },

    async ensureCluster (name, region, at) {
      return db.tx(FLEET_LOCK, async q => {
        const found = await q.one('SELECT * FROM clusters WHERE name = ?', name)
        if (found === undefined) return toCluster((await q.one('INSERT INTO clusters (name, region, created_at) VALUES (?, ?, ?) RETURNING *', name, region, at))!)
        if (found.region === null && region !== null) {
          await q.run('UPDATE clusters SET region = ? WHERE id = ?', region, Number(found.id))
          found.region = region
        }
        return toCluster(found)
      })
    },

    async deleteEmptyCluster (id) {
      return db.tx(FLEET_LOCK, async q =>
        (await q.run('DELETE FROM clusters WHERE id = ? AND NOT EXISTS (SELECT 1 FROM nodes WHERE cluster_id = ?)', id, id)) > 0)
    },

    async getCluster (id): Promise<Cluster | null> {
      const r = await db.one('SELECT * FROM clusters WHERE id = ?', id)
      return r === undefined ? null : toCluster(r)
    },

    async listClusters () {
      return (await db.all(`SELECT c.*,
          (SELECT COUNT(*) FROM nodes n WHERE n.cluster_id = c.id) AS node_count,
          (SELECT COUNT(*) FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.cluster_id = c.id) AS gpu_count
        FROM clusters c ORDER BY c.id`))
        .map(r => ({ ...toCluster(r), nodeCount: Number(r.node_count), gpuCount: Number(r.gpu_count) }))
    },

    async upsertNode (input: NodeUpsert, at) {
      return db.tx(FLEET_LOCK, async q => {
        const existing = await q.one('SELECT id, cluster_id FROM nodes WHERE hostname = ?', input.hostname)
        if (existing !== undefined && input.keepCluster === true && Number(existing.cluster_id) !== input.clusterId) {
          throw new NodeInOtherClusterError(input.hostname, Number(existing.cluster_id))
        }
        if (existing === undefined) {
          const r = await q.one(`INSERT INTO nodes (cluster_id, hostname, ip_address, total_gpus, cpu_cores, ram_gb, agent_url, status, last_seen_at, registered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'online', ?, ?) RETURNING *`,
          input.clusterId, input.hostname, v(input.ipAddress), v(input.totalGpus), v(input.cpuCores), v(input.ramGb), v(input.agentUrl), at, at)
          const node = toNode(r!)
          await addEvent(q, node.id, 'registered', at, { cluster_id: node.clusterId })
          return { node, created: true, cameOnline: false }
        }
        const id = Number(existing.id)
        const cameOnline = await touch(q, id, at, 'heartbeat')
        await q.run(`UPDATE nodes SET cluster_id = ?, ip_address = COALESCE(?, ip_address), total_gpus = COALESCE(CAST(? AS INTEGER), total_gpus),
            cpu_cores = COALESCE(CAST(? AS INTEGER), cpu_cores), ram_gb = COALESCE(CAST(? AS INTEGER), ram_gb), agent_url = COALESCE(?, agent_url) WHERE id = ?`,
        input.clusterId, v(input.ipAddress), v(input.totalGpus), v(input.cpuCores), v(input.ramGb), v(input.agentUrl), id)
        return { node: (await nodeById(q, id))!, created: false, cameOnline }
      })
    },

    async getNode (id) { return nodeById(db, id) },

    async getNodeByHostname (hostname) {
      const r = await db.one('SELECT * FROM nodes WHERE hostname = ?', hostname)
      return r === undefined ? null : toNode(r)
    },

    async listNodes (filter = {}) {
      if (filter.clusterId !== undefined) return (await db.all('SELECT * FROM nodes WHERE cluster_id = ? ORDER BY id', filter.clusterId)).map(toNode)
      return (await db.all('SELECT * FROM nodes ORDER BY id')).map(toNode)
    },

    async registerGpus (nodeId, gpus, at) {
      return db.tx(FLEET_LOCK, q => registerGpusTx(q, nodeId, gpus, at))
    },

    async listGpus (filter: GpuQuery = {}) {
      if (filter.ids !== undefined) return (await gpusById(db, filter.ids)).filter(g => filter.nodeId === undefined || g.nodeId === filter.nodeId)
      if (filter.nodeId !== undefined) return gpusOfNode(db, filter.nodeId)
      if (filter.clusterId !== undefined) {
        return (await db.all('SELECT g.* FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.cluster_id = ? ORDER BY g.node_id, g.gpu_index', filter.clusterId)).map(toGpu)
      }
      return (await db.all('SELECT * FROM gpus ORDER BY node_id, gpu_index')).map(toGpu)
    },

    async recordActivity (input: ActivityInput) {
      // The ingest hot path: row locks only (no fleet-wide lock), taken in id order so two
      // pushes touching the same rows cannot deadlock on PostgreSQL.
      const seen = [...input.seen].sort((a, b) => a.nodeId - b.nodeId)
      const readings = [...input.readings].sort((a, b) => a.gpuId - b.gpuId)
      return db.tx(null, async q => {
        const cameOnline: number[] = []
        for (const s of seen) if (await touch(q, s.nodeId, s.at, s.via)) cameOnline.push(s.nodeId)
        // A replayed (older) sample never overwrites newer live readings.
        await q.runEach(`UPDATE gpus SET status = ?, utilization_pct = ?, memory_used_mb = ?, memory_total_mb = ?, temperature_c = ?,
            power_draw_w = ?, updated_at = ? WHERE id = ? AND (updated_at IS NULL OR updated_at <= ?)`,
        readings.map(r => [r.status, r.utilizationPct, r.memoryUsedMb, r.memoryTotalMb, r.temperatureC, r.powerDrawW, r.at, r.gpuId, r.at]))
        // Only where the readings above were applied (same time): an older replay never wins.
        const mig = readings.filter(r => r.migMode !== undefined || r.migInstances !== undefined)
        await q.runEach('UPDATE gpus SET mig_mode = ?, mig_instances = ? WHERE id = ? AND updated_at = ?',
          mig.map(r => [r.migMode ?? null, migInstancesColumn(r.migInstances), r.gpuId, r.at]))
        return { cameOnline: input.seen.map(s => s.nodeId).filter(id => cameOnline.includes(id)) }
      })
    },

    async markStaleNodesOffline (cutoff, at) {
      return db.tx(FLEET_LOCK, async q => {
        // One UPDATE re-checks each row under its lock: a node heard from meanwhile stays online.
        const stale = (await q.all("UPDATE nodes SET status = 'offline' WHERE status = 'online' AND COALESCE(last_seen_at, registered_at) < ? RETURNING *", cutoff))
          .map(toNode).sort((a, b) => a.id - b.id)
        for (const node of stale) {
          const lastSeen = node.lastSeenAt ?? node.registeredAt
          await addEvent(q, node.id, 'offline', at, { silent_for_ms: Math.max(0, at - lastSeen) })
        }
        return stale
      })
    },

    async setDrained (id, drained, at) {
      const n = drained
        ? await db.run('UPDATE nodes SET drained_at = COALESCE(drained_at, ?) WHERE id = ?', at, id)
        : await db.run('UPDATE nodes SET drained_at = NULL WHERE id = ?', id)
      return n === 0 ? null : nodeById(db, id)
    },

    async deleteNode (id) {
      // The scheduling lock, not the fleet's: a cycle must not assign one of these GPUs meanwhile.
      return db.tx(SCHEDULING_LOCK, async q => {
        const node = await nodeById(q, id)
        if (node === null) return null
        const running = await q.all(`SELECT DISTINCT jg.job_id FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id
            WHERE g.node_id = ? AND jg.released_at IS NULL ORDER BY jg.job_id`, id)
        if (running.length > 0) return { deleted: false as const, runningJobIds: running.map(r => Number(r.job_id)) }
        const gpuIds = (await q.all('SELECT id FROM gpus WHERE node_id = ? ORDER BY id', id)).map(r => Number(r.id))
        // Ended jobs keep their job_gpus rows (metering) and job events; only jobs.node_id points here.
        await q.run('UPDATE jobs SET node_id = NULL WHERE node_id = ?', id)
        await q.run('DELETE FROM gpus WHERE node_id = ?', id)
        await q.run('DELETE FROM node_events WHERE node_id = ?', id)
        await q.run('DELETE FROM nodes WHERE id = ?', id)
        return { deleted: true as const, node, gpuIds }
      })
    },

    async listNodeEvents (query: NodeEventQuery = {}) {
      return (await db.all(`SELECT e.*, n.hostname FROM node_events e JOIN nodes n ON n.id = e.node_id
          WHERE (CAST(? AS BIGINT) IS NULL OR e.at >= ?) AND (CAST(? AS BIGINT) IS NULL OR e.at < ?) AND (CAST(? AS BIGINT) IS NULL OR e.node_id = ?)
          ORDER BY e.at, e.id LIMIT ?`,
      v(query.since), v(query.since), v(query.until), v(query.until), v(query.nodeId), v(query.nodeId), query.limit ?? DEFAULT_EVENT_LIMIT))
        .map(toNodeEvent)
    },
  }
}
