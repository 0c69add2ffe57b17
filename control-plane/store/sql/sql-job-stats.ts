import type { GpuStatus } from '../fleet-repository.ts'
import type { AllocationRow, EndedStatus, JobKind, PendingReason, QueueStats } from '../job-repository.ts'
import type { Row, SqlQuery } from '../sql-db.ts'
import { numOrNull } from './cells.ts'


/**
 * Read-only figures for the scheduling dashboard. Each query takes an optional tenant (a
 * tenant-bound caller's view), written as two SQL texts rather than `? IS NULL OR …` so
 * SQLite can still use the tenant index.
 */
export async function sqlQueueStats (db: SqlQuery, since: number, tenantId: number | null): Promise<QueueStats> {
  const t = tenantId === null ? '' : ' AND tenant_id = ?'
  const all = (sql: string, ...a: unknown[]) => db.all(sql, ...(tenantId === null ? a : [...a, tenantId]))

  const byReason: Partial<Record<PendingReason, number>> = {}
  let queued = 0
  let blocked = 0
  for (const r of await all(`SELECT status, pending_reason, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'blocked')${t} GROUP BY status, pending_reason`)) {
    const n = Number(r.n)
    if (r.status === 'queued') queued += n
    else blocked += n
    const reason = (r.pending_reason ?? 'CAPACITY') as PendingReason
    byReason[reason] = (byReason[reason] ?? 0) + n
  }
  const running = Number((await all(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'running'${t}`))[0]?.n ?? 0)

  const perCluster = `SELECT cluster_id,
      COUNT(*) FILTER (WHERE status = 'running') AS running, COUNT(*) FILTER (WHERE status = 'queued') AS queued,
      COUNT(*) FILTER (WHERE status = 'blocked') AS blocked,
      SUM(CASE WHEN status IN ('queued', 'blocked') THEN gpu_count ELSE 0 END) AS waiting_gpus,
      SUM(CASE WHEN status = 'running' THEN gpu_count ELSE 0 END) AS running_gpus
    FROM jobs WHERE status IN ('queued', 'blocked', 'running')${t} GROUP BY cluster_id`
  // An operator sees every cluster (idle ones as zeros); a tenant only those it has jobs in.
  const clusterRows = tenantId === null
    ? await all(`SELECT c.id AS cluster_id, c.name AS cluster_name, s.running, s.queued, s.blocked, s.waiting_gpus, s.running_gpus
        FROM clusters c LEFT JOIN (${perCluster}) s ON s.cluster_id = c.id ORDER BY c.id`)
    : await all(`SELECT s.*, c.name AS cluster_name FROM (${perCluster}) s JOIN clusters c ON c.id = s.cluster_id ORDER BY s.cluster_id`)
  const byCluster = clusterRows.map(toClusterQueue)

  // Only jobs the scheduler will start by itself; held, never-fitting and paused-tenant jobs wait on a person.
  const oldest = (await all(`SELECT id, submitted_at FROM jobs WHERE status IN ('queued', 'blocked')
      AND pending_reason IN ('QUOTA', 'CAPACITY', 'PRIORITY', 'TENANT_QUEUE', 'NODE_NOT_REPORTING', 'NODE_OFFLINE')${t} ORDER BY submitted_at, id LIMIT 1`))[0]
  const waitsMs = (await all(`SELECT started_at - submitted_at AS w FROM jobs WHERE started_at >= ?${t} ORDER BY w`, since)).map(r => Number(r.w))
  const submitted = Number((await all(`SELECT COUNT(*) AS n FROM jobs WHERE submitted_at >= ?${t}`, since))[0]?.n ?? 0)
  const ended: Record<EndedStatus, number> = { completed: 0, failed: 0, cancelled: 0 }
  for (const r of await all(`SELECT status, COUNT(*) AS n FROM jobs WHERE ended_at >= ?${t} GROUP BY status`, since)) {
    if (r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled') ended[r.status] = Number(r.n)
  }
  return {
    running,
    queued,
    blocked,
    byReason,
    byCluster,
    oldestWaiting: oldest === undefined ? null : { jobId: Number(oldest.id), submittedAt: Number(oldest.submitted_at) },
    waitsMs,
    submitted,
    started: waitsMs.length,
    ended,
  }
}

export async function sqlAllocation (db: SqlQuery, clusterId: number | null, tenantId: number | null): Promise<AllocationRow[]> {
  const where: string[] = []
  const args: unknown[] = []
  if (clusterId !== null) { where.push('n.cluster_id = ?'); args.push(clusterId) }
  if (tenantId !== null) { where.push('j.tenant_id = ?'); args.push(tenantId) }
  const rows = await db.all(`SELECT g.id AS gpu_id, g.node_id, n.hostname, n.status AS node_status, n.cluster_id, c.name AS cluster_name,
        g.gpu_index, g.model, g.status, g.utilization_pct, g.memory_used_mb, g.memory_total_mb, g.updated_at,
        j.id AS job_id, j.name AS job_name, j.tenant_id, t.name AS tenant_name, j.kind, jg.assigned_at
      FROM gpus g JOIN nodes n ON n.id = g.node_id JOIN clusters c ON c.id = n.cluster_id
      LEFT JOIN job_gpus jg ON jg.gpu_id = g.id AND jg.released_at IS NULL
      LEFT JOIN jobs j ON j.id = jg.job_id
      LEFT JOIN tenants t ON t.id = j.tenant_id
      ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
      ORDER BY n.cluster_id, g.node_id, g.gpu_index`, ...args)
  return rows.map(toAllocationRow)
}

function toAllocationRow (r: Row): AllocationRow {
  return {
    gpuId: Number(r.gpu_id),
    nodeId: Number(r.node_id),
    hostname: String(r.hostname),
    nodeStatus: r.node_status === 'online' ? 'online' : 'offline',
    clusterId: Number(r.cluster_id),
    clusterName: String(r.cluster_name),
    gpuIndex: Number(r.gpu_index),
    model: r.model === null ? null : String(r.model),
    status: r.status as GpuStatus,
    utilizationPct: numOrNull(r.utilization_pct),
    memoryUsedMb: numOrNull(r.memory_used_mb),
    memoryTotalMb: numOrNull(r.memory_total_mb),
    updatedAt: numOrNull(r.updated_at),
    job: r.job_id === null
      ? null
      : {
          id: Number(r.job_id),
          name: String(r.job_name),
          tenantId: numOrNull(r.tenant_id),
          tenantName: r.tenant_name === null ? null : String(r.tenant_name),
          kind: r.kind as JobKind,
          assignedAt: Number(r.assigned_at),
        },
  }
}

function toClusterQueue (r: Row): QueueStats['byCluster'][number] {
  return {
    clusterId: Number(r.cluster_id),
    clusterName: String(r.cluster_name),
    running: Number(r.running ?? 0),
    queued: Number(r.queued ?? 0),
    blocked: Number(r.blocked ?? 0),
    waitingGpus: Number(r.waiting_gpus ?? 0),
    runningGpus: Number(r.running_gpus ?? 0),
  }
}
