import type { SQLInputValue } from 'node:sqlite'
import type { Job, JobCountsRow, JobFilter, JobRepository, SubmitContext } from '../job-repository.ts'
import type { TenantStatus } from '../tenant-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { JOB_COLUMNS, toCycle, toJob, toJobEvent, toJobGpu } from '../sql/job-rows.ts'
import { sqliteRunCycle } from './sqlite-run-cycle.ts'
import { gpuInventory } from './sqlite-gpu-inventory.ts'
import { sqliteAllocation, sqliteQueueStats } from './sqlite-job-stats.ts'

type Row = Record<string, unknown>

export function createSqliteJobRepository (db: SqliteDb): JobRepository {

  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined => db.stmt(sql).get(...args) as Row | undefined
  const all = (sql: string, ...args: SQLInputValue[]): Row[] => db.stmt(sql).all(...args) as Row[]
  const jobById = (id: number): Job | null => {
    const r = one(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, id)
    return r === undefined ? null : toJob(r)
  }
  const addEvent = (jobId: number, kind: string, at: number, detail: Record<string, unknown> | null, gpuId: number | null = null, nodeId: number | null = null): void => {
    db.stmt('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(jobId, kind, at, gpuId, nodeId, detail === null ? null : JSON.stringify(detail))
  }
  const tenantGpusInUse = (tenantId: number): number => Number(one(`SELECT COUNT(*) AS n FROM jobs j
      JOIN job_gpus jg ON jg.job_id = j.id AND jg.released_at IS NULL WHERE j.tenant_id = ? AND j.status = 'running'`, tenantId)?.n ?? 0)

  // Filters become fixed SQL fragments (values always bound), one cached statement per combination.
  const filterSql = (f: Omit<JobFilter, 'limit' | 'offset'>): { where: string, args: SQLInputValue[] } => {
    const parts: string[] = []
    const args: SQLInputValue[] = []
    if (f.status !== undefined) { parts.push('status = ?'); args.push(f.status) }
    if (f.tenantId !== undefined) { parts.push('tenant_id = ?'); args.push(f.tenantId) }
    if (f.clusterId !== undefined) { parts.push('cluster_id = ?'); args.push(f.clusterId) }
    if (f.kind !== undefined) { parts.push('kind = ?'); args.push(f.kind) }
    return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, args }
  }

  return {
    async submit (input, at, judge) {
      return db.tx(() => {
        if (one('SELECT 1 FROM clusters WHERE id = ?', input.clusterId) === undefined) return { ok: false as const, reason: 'cluster_not_found' as const }
        let tenant: SubmitContext['tenant'] = null
        if (input.tenantId !== null) {
          const t = one('SELECT id, gpu_quota, status FROM tenants WHERE id = ?', input.tenantId)
          if (t === undefined) return { ok: false as const, reason: 'tenant_not_found' as const }
          tenant = { id: Number(t.id), gpuQuota: Number(t.gpu_quota), status: t.status as TenantStatus, gpusInUse: tenantGpusInUse(Number(t.id)) }
        }
        // The cached inventory: a submit's capacity check must not read every GPU of the cluster.
        const clusterModels = gpuInventory(db, at).byClusterModel.get(input.clusterId) ?? []
        const verdict = judge({ tenant, clusterModels })
        const r = one(`INSERT INTO jobs (cluster_id, tenant_id, name, kind, gpu_count, gpu_type, priority, status, block_reason, pending_reason,
            submitted_by, estimated_duration_min, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${JOB_COLUMNS}`,
        input.clusterId, input.tenantId, input.name, input.kind, input.gpuCount, input.gpuType, input.priority, verdict.status,
        verdict.blockReason, verdict.pendingReason, input.submittedBy, input.estimatedDurationMin, at) as Row
        const job = toJob(r)
        addEvent(job.id, 'submitted', at, { status: job.status, pending_reason: job.pendingReason, gpu_count: job.gpuCount, tenant_id: job.tenantId })
        return { ok: true as const, job }
      })
    },

    async get (id) { return jobById(id) },

    async list (filter) {
      const { where, args } = filterSql(filter)
      const total = Number(one(`SELECT COUNT(*) AS n FROM jobs ${where}`, ...args)?.n ?? 0)
      const jobs = all(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY id DESC LIMIT ? OFFSET ?`, ...args, filter.limit, filter.offset).map(toJob)
      return { jobs, total }
    },

    async gpusOf (jobId) {
      return all(`SELECT jg.*, g.node_id, g.gpu_index, n.hostname FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id JOIN nodes n ON n.id = g.node_id
          WHERE jg.job_id = ? ORDER BY jg.assigned_at, g.node_id, g.gpu_index`, jobId).map(toJobGpu)
    },

    async eventsOf (jobId, limit) {
      return all('SELECT * FROM (SELECT * FROM job_events WHERE job_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id', jobId, limit).map(toJobEvent)
    },

    async applyChange (id, expect, change, at) {
      return db.tx(() => {
        const job = jobById(id)
        if (job === null || job.status !== expect.status || job.pendingReason !== expect.pendingReason) return null
        if (change.kind === 'end') {
          db.stmt('UPDATE jobs SET status = ?, pending_reason = NULL, block_reason = NULL, ended_at = ? WHERE id = ?').run(change.status, at, id)
          if (job.status === 'running') {
            // Metering reads these rows: released_at closes the job's GPU-seconds exactly now.
            const held = all(`SELECT jg.gpu_id, g.node_id FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id
                WHERE jg.job_id = ? AND jg.released_at IS NULL ORDER BY jg.gpu_id`, id)
            db.stmt('UPDATE job_gpus SET released_at = ? WHERE job_id = ? AND released_at IS NULL').run(at, id)
            for (const g of held) addEvent(id, 'gpu_released', at, null, Number(g.gpu_id), Number(g.node_id))
          }
          addEvent(id, 'ended', at, {
            status: change.status, from: job.status, by: change.by, ran_ms: job.startedAt === null ? null : at - job.startedAt,
          }, null, job.nodeId)
        } else if (change.kind === 'hold') {
          db.stmt("UPDATE jobs SET status = 'blocked', pending_reason = 'OPERATOR_HOLD', block_reason = ? WHERE id = ?").run(change.blockReason, id)
          addEvent(id, 'held', at, { block_reason: change.blockReason, was: job.pendingReason, by: change.by })
        } else {
          db.stmt("UPDATE jobs SET status = 'queued', pending_reason = ?, block_reason = NULL WHERE id = ?").run(change.pendingReason, id)
          addEvent(id, 'released', at, { by: change.by })
        }
        return jobById(id)
      })
    },

    async runCycle (at, trigger, options, plan) { return sqliteRunCycle(db, at, trigger, options, plan) },

    async listCycles (limit) {
      return all('SELECT * FROM scheduler_cycles ORDER BY id DESC LIMIT ?', limit).map(toCycle)
    },

    async countsByCluster (clusterIds) {
      const out = new Map<number, JobCountsRow>()
      if (clusterIds.length === 0) return out
      const rows = all(`SELECT cluster_id, SUM(status = 'running') AS running, SUM(status IN ('queued', 'blocked')) AS waiting
          FROM jobs WHERE cluster_id IN (SELECT value FROM json_each(?)) AND status IN ('running', 'queued', 'blocked')
          GROUP BY cluster_id`, JSON.stringify(clusterIds))
      for (const r of rows) out.set(Number(r.cluster_id), { running: Number(r.running), waiting: Number(r.waiting) })
      return out
    },

    async recent (clusterId, limit, tenantId = null) {
      if (tenantId === null) return all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? ORDER BY id DESC LIMIT ?`, clusterId, limit).map(toJob)
      return all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? AND tenant_id = ? ORDER BY id DESC LIMIT ?`, clusterId, tenantId, limit).map(toJob)
    },

    async queueStats (since, tenantId = null) { return sqliteQueueStats(db, since, tenantId) },

    async allocation (filter) { return sqliteAllocation(db, filter.clusterId ?? null, filter.tenantId ?? null) },
  }
}
