import type { DashboardRepository, GpuState, HoldSpan, JobSummary, TenantQuota } from '../dashboard-repository.ts'
import type { Row, SqlDb } from '../sql-db.ts'
import { mapInTurns, onConnection, type OffLoopRead } from './off-loop.ts'
import { toGpuHealth, toGpuReading, toMigState } from './fleet-rows.ts'
import { createUtilizationReads, toHeldGpu, type UtilizationSql } from './utilization-reads.ts'
import { numOrNull, strOrNull } from './cells.ts'


/**
 * Read-only queries across domains, written once; only the utilization queries' SQL is the
 * engine's own (`utilization`). Opened after the domains whose tables it reads; no migrations.
 */
export function createSqlDashboardRepository (db: SqlDb, utilization: UtilizationSql, offLoop?: OffLoopRead): DashboardRepository {
  const usage = createUtilizationReads(db, utilization)
  return {
    async heldGpuUtilization (fromMs, toMs, filter = {}) {
      return usage.heldGpuUtilization(fromMs, toMs, filter.tenantId ?? null)
    },

    async allocatedMinutes (fromMs, toMs, idleBelowPct, graceMs) {
      return usage.allocatedMinutes(fromMs, toMs, idleBelowPct, graceMs)
    },

    async heldGpus (filter = {}) {
      const byTenant = filter.tenantId === undefined ? '' : 'AND j.tenant_id = ?'
      return (await db.all(`SELECT jg.gpu_id, jg.job_id, jg.assigned_at, g.node_id, g.gpu_index, g.model, n.hostname, n.cluster_id,
          j.name AS job_name, j.tenant_id, t.name AS tenant_name
        FROM job_gpus jg
        JOIN jobs j ON j.id = jg.job_id AND j.status = 'running'
        JOIN gpus g ON g.id = jg.gpu_id
        JOIN nodes n ON n.id = g.node_id
        LEFT JOIN tenants t ON t.id = j.tenant_id
        WHERE jg.released_at IS NULL ${byTenant}
        ORDER BY jg.gpu_id`, ...(filter.tenantId === undefined ? [] : [filter.tenantId]))).map(toHeldGpu)
    },

    async holdsInWindow (fromMs, toMs, filter = {}) {
      const where = ['jg.assigned_at < ?', '(jg.released_at IS NULL OR jg.released_at > ?)']
      const args: number[] = [toMs, fromMs]
      if (filter.tenantsOnly === true) where.push('j.tenant_id IS NOT NULL')
      if (filter.tenantId !== undefined) { where.push('j.tenant_id = ?'); args.push(filter.tenantId) }
      return (await db.all(`SELECT jg.job_id, jg.gpu_id, g.node_id, g.gpu_index, j.tenant_id, COALESCE(jg.gpu_model, g.model) AS gpu_model,
          jg.assigned_at, jg.released_at
        FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id JOIN gpus g ON g.id = jg.gpu_id
        WHERE ${where.join(' AND ')} ORDER BY jg.job_id, jg.gpu_id`, ...args)).map((r): HoldSpan => ({
        jobId: Number(r.job_id),
        gpuId: Number(r.gpu_id),
        nodeId: Number(r.node_id),
        gpuIndex: Number(r.gpu_index),
        tenantId: numOrNull(r.tenant_id),
        gpuModel: strOrNull(r.gpu_model),
        fromAt: Math.max(Number(r.assigned_at), fromMs),
        toAt: r.released_at == null ? toMs : Math.min(Number(r.released_at), toMs),
      }))
    },

    async tenantQuotas () {
      return (await db.all(`SELECT t.id, t.name, t.status, t.gpu_quota,
          (SELECT COUNT(*) FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id
           WHERE j.tenant_id = t.id AND j.status = 'running' AND jg.released_at IS NULL) AS in_use
        FROM tenants t ORDER BY t.id`)).map((r): TenantQuota => ({
        tenantId: Number(r.id),
        name: String(r.name),
        status: r.status === 'inactive' ? 'inactive' : 'active',
        gpuQuota: Number(r.gpu_quota),
        gpusInUse: Number(r.in_use),
      }))
    },

    async gpuStates () {
      // Every GPU of the fleet (40,000 at 5,000 hosts: ~1 s of the event loop, read and mapped
      // in one go, every alert pass and dashboard request): read off the loop where the engine
      // would block it, mapped in runs with the loop free between them.
      return await mapInTurns(await (offLoop ?? onConnection(db))<Row>(`SELECT g.*, n.cluster_id, n.hostname, n.status AS node_status, l.recorded_at AS sample_at,
          s.ecc_errors_uncorrected, jg.job_id, j.tenant_id
        FROM gpus g
        JOIN nodes n ON n.id = g.node_id
        LEFT JOIN gpu_stats_latest l ON l.node_id = g.node_id AND l.gpu_id = g.gpu_index
        LEFT JOIN gpu_stats s ON s.node_id = l.node_id AND s.recorded_at = l.recorded_at AND s.gpu_id = l.gpu_id
        LEFT JOIN job_gpus jg ON jg.gpu_id = g.id AND jg.released_at IS NULL
        LEFT JOIN jobs j ON j.id = jg.job_id
        ORDER BY g.node_id, g.gpu_index`, []), (r): GpuState => ({
        gpuId: Number(r.id),
        nodeId: Number(r.node_id),
        gpuIndex: Number(r.gpu_index),
        clusterId: Number(r.cluster_id),
        hostname: String(r.hostname),
        nodeStatus: r.node_status === 'online' ? 'online' : 'offline',
        model: strOrNull(r.model),
        status: r.status === 'active' || r.status === 'idle' ? r.status : 'unknown',
        ...toGpuReading(r),
        eccUncorrected: numOrNull(r.ecc_errors_uncorrected),
        health: toGpuHealth(r),
        sampleAt: numOrNull(r.sample_at),
        jobId: numOrNull(r.job_id),
        tenantId: numOrNull(r.tenant_id),
        ...toMigState(r),
      }))
    },

    async jobCounts () {
      const counts = { running: 0, queued: 0, blocked: 0 }
      for (const r of await db.all("SELECT status, COUNT(*) AS n FROM jobs WHERE status IN ('running', 'queued', 'blocked') GROUP BY status")) {
        counts[r.status as keyof typeof counts] = Number(r.n)
      }
      return counts
    },

    async recentJobs (limit) {
      // Ids grow with submission, so the newest submissions are the highest ids (a rowid walk, no sort).
      return (await db.all(`SELECT j.*, t.name AS tenant_name FROM jobs j LEFT JOIN tenants t ON t.id = j.tenant_id
        ORDER BY j.id DESC LIMIT ?`, limit)).map((r): JobSummary => ({
        id: Number(r.id),
        name: String(r.name),
        status: String(r.status),
        pendingReason: strOrNull(r.pending_reason),
        blockReason: strOrNull(r.block_reason),
        tenantId: numOrNull(r.tenant_id),
        tenantName: strOrNull(r.tenant_name),
        clusterId: Number(r.cluster_id),
        gpuCount: Number(r.gpu_count),
        gpuType: strOrNull(r.gpu_type),
        priority: Number(r.priority),
        submittedAt: Number(r.submitted_at),
        startedAt: numOrNull(r.started_at),
        endedAt: numOrNull(r.ended_at),
      }))
    },

    async tenantUtilization (fromMs, toMs, filter = {}) {
      return usage.tenantUtilization(fromMs, toMs, filter.tenantId ?? null)
    },

    async meteredUsage (tenantId, fromMs, toMs, nowMs) {
      return usage.meteredUsage(tenantId, fromMs, toMs, nowMs)
    },

    async invoices (periodEndFrom, filter = {}) {
      const tenant = filter.tenantId === undefined ? '' : ' AND i.tenant_id = ?'
      return (await db.all(`SELECT i.*, t.name AS tenant_name FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
        WHERE i.tenant_id IS NOT NULL AND i.period_end >= ?${tenant} ORDER BY i.id`, periodEndFrom, ...(filter.tenantId === undefined ? [] : [filter.tenantId])))
        .map(r => ({
          id: Number(r.id),
          tenantId: Number(r.tenant_id),
          tenantName: strOrNull(r.tenant_name),
          periodStart: Number(r.period_start),
          periodEnd: Number(r.period_end),
          amountCents: Number(r.amount_cents),
          totalGpuSeconds: Number(r.total_gpu_seconds),
          status: String(r.status),
        }))
    },

    async rates () {
      return (await db.all('SELECT gpu_type, cents_per_gpu_hour FROM rates ORDER BY gpu_type'))
        .map(r => ({ gpuType: String(r.gpu_type), centsPerGpuHour: Number(r.cents_per_gpu_hour) }))
    },
  }
}
