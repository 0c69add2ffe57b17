import type { AllocationRow, EndedStatus, PendingReason, QueueStats } from '../job-repository.ts'
import { toAllocationRow, toClusterQueue } from '../sqlite/sqlite-job-stats.ts'
import type { PgQuery } from './pg-db.ts'

/** Read-only figures for the scheduling dashboard (sqlite-job-stats.ts on PostgreSQL). */
export async function pgQueueStats (db: PgQuery, since: number, tenantId: number | null): Promise<QueueStats> {
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
  const clusterRows = tenantId === null
    ? await all(`SELECT c.id AS cluster_id, c.name AS cluster_name, s.running, s.queued, s.blocked, s.waiting_gpus, s.running_gpus
        FROM clusters c LEFT JOIN (${perCluster}) s ON s.cluster_id = c.id ORDER BY c.id`)
    : await all(`SELECT s.*, c.name AS cluster_name FROM (${perCluster}) s JOIN clusters c ON c.id = s.cluster_id ORDER BY s.cluster_id`)
  const byCluster = clusterRows.map(toClusterQueue)

  const oldest = (await all(`SELECT id, submitted_at FROM jobs WHERE status IN ('queued', 'blocked')
      AND pending_reason IN ('QUOTA', 'CAPACITY', 'PRIORITY')${t} ORDER BY submitted_at, id LIMIT 1`))[0]
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

export async function pgAllocation (db: PgQuery, clusterId: number | null, tenantId: number | null): Promise<AllocationRow[]> {
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
