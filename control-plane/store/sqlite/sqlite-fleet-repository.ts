import type { SQLInputValue } from 'node:sqlite'
import type {
  ActivityInput, Cluster, FleetNode, FleetRepository, Gpu, GpuQuery, GpuUpsert, NodeEventKind, NodeEventQuery, NodeUpsert,
} from '../fleet-repository.ts'
import { NodeInOtherClusterError } from '../fleet-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { GPU_HEALTH_UPDATE, gpuHealthArgs, migInstancesColumn, toCluster, toGpu, toNode, toNodeEvent } from '../sql/fleet-rows.ts'

type Row = Record<string, unknown>

// node:sqlite refuses to bind undefined; an absent optional field is stored as NULL.
const v = (x: string | number | null | undefined): SQLInputValue => x ?? null

const DEFAULT_EVENT_LIMIT = 1000

export function createSqliteFleetRepository (db: SqliteDb): FleetRepository {

  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined => db.stmt(sql).get(...args) as Row | undefined
  const all = (sql: string, ...args: SQLInputValue[]): Row[] => db.stmt(sql).all(...args) as Row[]

  const clusterById = (id: number): Cluster | null => {
    const r = one('SELECT * FROM clusters WHERE id = ?', id)
    return r === undefined ? null : toCluster(r)
  }
  const nodeById = (id: number): FleetNode | null => {
    const r = one('SELECT * FROM nodes WHERE id = ?', id)
    return r === undefined ? null : toNode(r)
  }
  const gpusOfNode = (nodeId: number): Gpu[] => all('SELECT * FROM gpus WHERE node_id = ? ORDER BY gpu_index', nodeId).map(toGpu)

  const addEvent = (nodeId: number, kind: NodeEventKind, at: number, detail: Record<string, unknown> | null): void => {
    db.stmt('INSERT INTO node_events (node_id, kind, at, detail) VALUES (?, ?, ?, ?)')
      .run(nodeId, kind, at, detail === null ? null : JSON.stringify(detail))
  }

  /** Marks a node seen; writes an 'online' event if it was offline. Returns whether it came back. */
  const touch = (nodeId: number, at: number, via: string): boolean => {
    const r = one('SELECT status, last_seen_at FROM nodes WHERE id = ?', nodeId)
    if (r === undefined) return false
    db.stmt("UPDATE nodes SET status = 'online', last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) WHERE id = ?").run(at, nodeId)
    if (r.status !== 'offline') return false
    const lastSeen = r.last_seen_at === null ? null : Number(r.last_seen_at)
    addEvent(nodeId, 'online', at, { via, offline_for_ms: lastSeen === null ? null : Math.max(0, at - lastSeen) })
    return true
  }

  const registerGpusTx = (nodeId: number, gpus: readonly GpuUpsert[], at: number): Gpu[] => {
    const working = gpusOfNode(nodeId)
    const createdIds: number[] = []
    for (const g of gpus) {
      // Index first (the seed's idempotency key), then uuid (a GPU reported without its index).
      let target = g.gpuIndex === undefined ? undefined : working.find(x => x.gpuIndex === g.gpuIndex)
      if (target === undefined && g.uuid !== undefined) target = working.find(x => x.uuid === g.uuid)
      if (target === undefined) {
        const used = new Set(working.map(x => x.gpuIndex))
        let index = g.gpuIndex ?? 0
        if (g.gpuIndex === undefined) while (used.has(index)) index++
        const r = one(
          'INSERT INTO gpus (node_id, gpu_index, uuid, model, vram_mb, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
          nodeId, index, v(g.uuid), v(g.model), v(g.vramMb), at,
        ) as Row
        target = toGpu(r)
        working.push(target)
        createdIds.push(target.id)
      } else {
        // Reaching here by uuid with an index given means that index is free: the GPU moved.
        if (g.gpuIndex !== undefined) target.gpuIndex = g.gpuIndex
        if (g.uuid !== undefined) target.uuid = g.uuid
        if (g.model !== undefined) target.model = g.model
        if (g.vramMb !== undefined) target.vramMb = g.vramMb
        db.stmt('UPDATE gpus SET gpu_index = ?, uuid = ?, model = ?, vram_mb = ? WHERE id = ?')
          .run(target.gpuIndex, target.uuid, target.model, target.vramMb, target.id)
      }
      if (g.health !== undefined) {
        db.stmt(GPU_HEALTH_UPDATE).run(...gpuHealthArgs(g.health, at, target.id))
        target.health = g.health
        target.healthAt = at
      }
      if (g.uuid !== undefined) {
        // A uuid names one physical GPU: the newest report of where it sits wins.
        for (const other of working) {
          if (other !== target && other.uuid === g.uuid) {
            other.uuid = null
            db.stmt('UPDATE gpus SET uuid = NULL WHERE id = ?').run(other.id)
          }
        }
      }
    }
    return gpusById(createdIds)
  }

  const gpusById = (ids: readonly number[]): Gpu[] => {
    if (ids.length === 0) return []
    return all('SELECT * FROM gpus WHERE id IN (SELECT value FROM json_each(?)) ORDER BY node_id, gpu_index', JSON.stringify(ids)).map(toGpu)
  }

  return {
    async createCluster ({ name, region }, at) {
      const r = one('INSERT INTO clusters (name, region, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING *', name, region, at)
      return r === undefined ? null : toCluster(r)
    },

    async ensureCluster (name, region, at) {
      return db.tx(() => {
        const found = one('SELECT * FROM clusters WHERE name = ?', name)
        if (found === undefined) {
          return toCluster(one('INSERT INTO clusters (name, region, created_at) VALUES (?, ?, ?) RETURNING *', name, region, at) as Row)
        }
        if (found.region === null && region !== null) {
          db.stmt('UPDATE clusters SET region = ? WHERE id = ?').run(region, Number(found.id))
          found.region = region
        }
        return toCluster(found)
      })
    },

    async deleteEmptyCluster (id) {
      const r = db.stmt('DELETE FROM clusters WHERE id = ? AND NOT EXISTS (SELECT 1 FROM nodes WHERE cluster_id = ?)').run(id, id)
      return Number(r.changes) > 0
    },

    async getCluster (id) { return clusterById(id) },

    async listClusters () {
      return all(`SELECT c.*,
          (SELECT COUNT(*) FROM nodes n WHERE n.cluster_id = c.id) AS node_count,
          (SELECT COUNT(*) FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.cluster_id = c.id) AS gpu_count
        FROM clusters c ORDER BY c.id`)
        .map(r => ({ ...toCluster(r), nodeCount: Number(r.node_count), gpuCount: Number(r.gpu_count) }))
    },

    async upsertNode (input: NodeUpsert, at) {
      return db.tx(() => {
        const existing = one('SELECT id, cluster_id FROM nodes WHERE hostname = ?', input.hostname)
        if (existing !== undefined && input.keepCluster === true && Number(existing.cluster_id) !== input.clusterId) {
          throw new NodeInOtherClusterError(input.hostname, Number(existing.cluster_id))
        }
        if (existing === undefined) {
          const r = one(`INSERT INTO nodes (cluster_id, hostname, ip_address, total_gpus, cpu_cores, ram_gb, agent_url, status, last_seen_at, registered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'online', ?, ?) RETURNING *`,
          input.clusterId, input.hostname, v(input.ipAddress), v(input.totalGpus), v(input.cpuCores), v(input.ramGb), v(input.agentUrl), at, at) as Row
          const node = toNode(r)
          addEvent(node.id, 'registered', at, { cluster_id: node.clusterId })
          return { node, created: true, cameOnline: false }
        }
        const id = Number(existing.id)
        const cameOnline = touch(id, at, 'heartbeat')
        db.stmt(`UPDATE nodes SET cluster_id = ?, ip_address = COALESCE(?, ip_address), total_gpus = COALESCE(?, total_gpus),
            cpu_cores = COALESCE(?, cpu_cores), ram_gb = COALESCE(?, ram_gb), agent_url = COALESCE(?, agent_url) WHERE id = ?`)
          .run(input.clusterId, v(input.ipAddress), v(input.totalGpus), v(input.cpuCores), v(input.ramGb), v(input.agentUrl), id)
        return { node: nodeById(id) as FleetNode, created: false, cameOnline }
      })
    },

    async getNode (id) { return nodeById(id) },

    async getNodeByHostname (hostname) {
      const r = one('SELECT * FROM nodes WHERE hostname = ?', hostname)
      return r === undefined ? null : toNode(r)
    },

    async listNodes (filter = {}) {
      if (filter.clusterId !== undefined) return all('SELECT * FROM nodes WHERE cluster_id = ? ORDER BY id', filter.clusterId).map(toNode)
      return all('SELECT * FROM nodes ORDER BY id').map(toNode)
    },

    async registerGpus (nodeId, gpus, at) {
      return db.tx(() => registerGpusTx(nodeId, gpus, at))
    },

    async listGpus (filter: GpuQuery = {}) {
      if (filter.ids !== undefined) {
        return gpusById(filter.ids).filter(g => filter.nodeId === undefined || g.nodeId === filter.nodeId)
      }
      if (filter.nodeId !== undefined) return gpusOfNode(filter.nodeId)
      if (filter.clusterId !== undefined) {
        return all('SELECT g.* FROM gpus g JOIN nodes n ON n.id = g.node_id WHERE n.cluster_id = ? ORDER BY g.node_id, g.gpu_index', filter.clusterId).map(toGpu)
      }
      return all('SELECT * FROM gpus ORDER BY node_id, gpu_index').map(toGpu)
    },

    async recordActivity (input: ActivityInput) {
      return db.tx(() => {
        const cameOnline: number[] = []
        for (const s of input.seen) if (touch(s.nodeId, s.at, s.via)) cameOnline.push(s.nodeId)
        for (const r of input.readings) {
          // A replayed (older) sample never overwrites newer live readings.
          db.stmt(`UPDATE gpus SET status = ?, utilization_pct = ?, memory_used_mb = ?, memory_total_mb = ?, temperature_c = ?,
              power_draw_w = ?, updated_at = ? WHERE id = ? AND (updated_at IS NULL OR updated_at <= ?)`)
            .run(r.status, r.utilizationPct, r.memoryUsedMb, r.memoryTotalMb, r.temperatureC, r.powerDrawW, r.at, r.gpuId, r.at)
          if (r.migMode !== undefined || r.migInstances !== undefined) {
            db.stmt(`UPDATE gpus SET mig_mode = ?, mig_instances = ? WHERE id = ? AND updated_at = ?`)
              .run(r.migMode ?? null, migInstancesColumn(r.migInstances), r.gpuId, r.at)
          }
        }
        return { cameOnline }
      })
    },

    async markStaleNodesOffline (cutoff, at) {
      return db.tx(() => {
        const stale = all("SELECT * FROM nodes WHERE status = 'online' AND COALESCE(last_seen_at, registered_at) < ? ORDER BY id", cutoff).map(toNode)
        for (const node of stale) {
          db.stmt("UPDATE nodes SET status = 'offline' WHERE id = ?").run(node.id)
          const lastSeen = node.lastSeenAt ?? node.registeredAt
          addEvent(node.id, 'offline', at, { silent_for_ms: Math.max(0, at - lastSeen) })
          node.status = 'offline'
        }
        return stale
      })
    },

    async listNodeEvents (query: NodeEventQuery = {}) {
      return all(`SELECT e.*, n.hostname FROM node_events e JOIN nodes n ON n.id = e.node_id
          WHERE (? IS NULL OR e.at >= ?) AND (? IS NULL OR e.at < ?) AND (? IS NULL OR e.node_id = ?)
          ORDER BY e.at, e.id LIMIT ?`,
      v(query.since), v(query.since), v(query.until), v(query.until), v(query.nodeId), v(query.nodeId), query.limit ?? DEFAULT_EVENT_LIMIT)
        .map(toNodeEvent)
    },
  }
}
