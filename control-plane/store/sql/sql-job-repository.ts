import type { EndReason, EndedStatus, Job, JobCountsRow, JobFilter, JobRepository, LostJob, NodeAssignment, SubmitContext } from '../job-repository.ts'
import type { TenantStatus } from '../tenant-repository.ts'
import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { SCHEDULING_LOCK } from '../store-locks.ts'
import { JOB_COLUMNS, toCycle, toJob, toJobEvent, toJobGpu } from './job-rows.ts'
import { sqlAllocation, sqlQueueStats } from './sql-job-stats.ts'
import { numOrNull, strOrNull } from './cells.ts'

/**
 * The scheduling hot paths, kept per engine: SQLite reads a cached GPU inventory and array
 * rows off its own statements; PostgreSQL reads in the transaction under row locks.
 */
export interface JobHotPaths {
  /** JobRepository.runCycle, in its own transaction. */
  runCycle: JobRepository['runCycle']
  /** Registered GPUs of one cluster per model, read inside the submit's transaction `q`. */
  clusterModels: (q: SqlQuery, clusterId: number, at: number) => Promise<SubmitContext['clusterModels']>
}

export function createSqlJobRepository (db: SqlDb, hot: JobHotPaths): JobRepository {
  const jobById = async (q: SqlQuery, id: number): Promise<Job | null> => {
    const r = await q.one(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, id)
    return r === undefined ? null : toJob(r)
  }
  const addEvent = (q: SqlQuery, jobId: number, kind: string, at: number, detail: Record<string, unknown> | null, gpuId: number | null = null, nodeId: number | null = null) =>
    q.run('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?)',
      jobId, kind, at, gpuId, nodeId, detail === null ? null : JSON.stringify(detail))
  // A limit's end in epoch ms; CAST first: minutes × 60,000 overflows PostgreSQL's integer.
  const LIMIT_AT = 'started_at + CAST(time_limit_min AS BIGINT) * 60000'
  const tenantGpusInUse = async (q: SqlQuery, tenantId: number): Promise<number> => Number((await q.one(`SELECT COUNT(*) AS n FROM jobs j
      JOIN job_gpus jg ON jg.job_id = j.id AND jg.released_at IS NULL WHERE j.tenant_id = ? AND j.status = 'running'`, tenantId))?.n ?? 0)

  // Metering reads these rows: released_at closes the job's GPU-seconds exactly at `at`.
  const releaseGpus = async (q: SqlQuery, id: number, at: number): Promise<void> => {
    const held = await q.all(`SELECT jg.gpu_id, g.node_id FROM job_gpus jg LEFT JOIN gpus g ON g.id = jg.gpu_id
        WHERE jg.job_id = ? AND jg.released_at IS NULL ORDER BY jg.gpu_id`, id)
    await q.run('UPDATE job_gpus SET released_at = ? WHERE job_id = ? AND released_at IS NULL', at, id)
    for (const g of held) await addEvent(q, id, 'gpu_released', at, null, Number(g.gpu_id), g.node_id === null ? null : Number(g.node_id))
  }
  // Ends `job` (read in `q`); a running job's GPUs are released now: metering reads released_at.
  const endJob = async (q: SqlQuery, job: Job, status: EndedStatus, at: number, by: string | null, reason: EndReason | null = null): Promise<void> => {
    await q.run('UPDATE jobs SET status = ?, pending_reason = NULL, block_reason = NULL, ended_at = ?, end_reason = ? WHERE id = ?', status, at, reason, job.id)
    if (job.status === 'running') await releaseGpus(q, job.id, at)
    await addEvent(q, job.id, 'ended', at, {
      status, from: job.status, by, ran_ms: job.startedAt === null ? null : at - job.startedAt, ...(reason === null ? {} : { reason }),
    }, null, job.nodeId)
  }

  // Filters become fixed SQL fragments (values always bound), one cached statement per combination.
  const filterSql = (f: Omit<JobFilter, 'limit' | 'offset'>): { where: string, args: unknown[] } => {
    const parts: string[] = []
    const args: unknown[] = []
    if (f.status !== undefined) { parts.push('status = ?'); args.push(f.status) }
    if (f.tenantId !== undefined) { parts.push('tenant_id = ?'); args.push(f.tenantId) }
    if (f.clusterId !== undefined) { parts.push('cluster_id = ?'); args.push(f.clusterId) }
    if (f.kind !== undefined) { parts.push('kind = ?'); args.push(f.kind) }
    return { where: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, args }
  }

  return {
    async submit (input, at, judge) {
      // Under the scheduling lock: the quota read and the insert cannot interleave with a cycle or another submit.
      return db.tx(SCHEDULING_LOCK, async q => {
        const cluster = await q.one('SELECT default_time_limit_min FROM clusters WHERE id = ?', input.clusterId)
        if (cluster === undefined) return { ok: false as const, reason: 'cluster_not_found' as const }
        // Absent: the cluster's default (Slurm's DefaultTime); null: no limit, asked for.
        const timeLimitMin = input.timeLimitMin === undefined ? numOrNull(cluster.default_time_limit_min) : input.timeLimitMin
        let tenant: SubmitContext['tenant'] = null
        if (input.tenantId !== null) {
          const t = await q.one('SELECT id, gpu_quota, status FROM tenants WHERE id = ?', input.tenantId)
          if (t === undefined) return { ok: false as const, reason: 'tenant_not_found' as const }
          tenant = { id: Number(t.id), gpuQuota: Number(t.gpu_quota), status: t.status as TenantStatus, gpusInUse: await tenantGpusInUse(q, Number(t.id)) }
        }
        const verdict = judge({ tenant, clusterModels: await hot.clusterModels(q, input.clusterId, at) })
        const r = await q.one(`INSERT INTO jobs (cluster_id, tenant_id, name, kind, gpu_count, gpu_type, priority, status, block_reason, pending_reason,
            submitted_by, estimated_duration_min, submitted_at, requeue, time_limit_min, command, env, workdir)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${JOB_COLUMNS}`,
        input.clusterId, input.tenantId, input.name, input.kind, input.gpuCount, input.gpuType, input.priority, verdict.status,
        verdict.blockReason, verdict.pendingReason, input.submittedBy, input.estimatedDurationMin, at, input.requeue === true ? 1 : 0, timeLimitMin,
        jsonText(input.command), jsonText(input.env), input.workdir ?? null)
        const job = toJob(r!)
        await addEvent(q, job.id, 'submitted', at, { status: job.status, pending_reason: job.pendingReason, gpu_count: job.gpuCount, tenant_id: job.tenantId })
        return { ok: true as const, job }
      })
    },

    async get (id) { return jobById(db, id) },

    async list (filter) {
      const { where, args } = filterSql(filter)
      const total = Number((await db.one(`SELECT COUNT(*) AS n FROM jobs ${where}`, ...args))?.n ?? 0)
      const jobs = (await db.all(`SELECT ${JOB_COLUMNS} FROM jobs ${where} ORDER BY id DESC LIMIT ? OFFSET ?`, ...args, filter.limit, filter.offset)).map(toJob)
      return { jobs, total }
    },

    async gpusOf (jobId) {
      return (await db.all(`SELECT jg.*, g.node_id, g.gpu_index, n.hostname FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id JOIN nodes n ON n.id = g.node_id
          WHERE jg.job_id = ? ORDER BY jg.assigned_at, g.node_id, g.gpu_index`, jobId)).map(toJobGpu)
    },

    async eventsOf (jobId, limit) {
      return (await db.all('SELECT * FROM (SELECT * FROM job_events WHERE job_id = ? ORDER BY id DESC LIMIT ?) AS e ORDER BY id', jobId, limit)).map(toJobEvent)
    },

    async applyChange (id, expect, change, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        const job = await jobById(q, id)
        if (job === null || job.status !== expect.status || job.pendingReason !== expect.pendingReason) return null
        if (change.kind === 'end') {
          await endJob(q, job, change.status, at, change.by)
        } else if (change.kind === 'hold') {
          await q.run("UPDATE jobs SET status = 'blocked', pending_reason = 'OPERATOR_HOLD', block_reason = ? WHERE id = ?", change.blockReason, id)
          await addEvent(q, id, 'held', at, { block_reason: change.blockReason, was: job.pendingReason, by: change.by })
        } else {
          await q.run("UPDATE jobs SET status = 'queued', pending_reason = ?, block_reason = NULL WHERE id = ?", change.pendingReason, id)
          await addEvent(q, id, 'released', at, { by: change.by })
        }
        return jobById(q, id)
      })
    },

    async runCycle (at, trigger, options, plan) { return hot.runCycle(at, trigger, options, plan) },

    async listCycles (limit) {
      return (await db.all('SELECT * FROM scheduler_cycles ORDER BY id DESC LIMIT ?', limit)).map(toCycle)
    },

    async endTimedOut (at) {
      const limited = "status = 'running' AND time_limit_min IS NOT NULL"
      const nearest = async (q: SqlQuery): Promise<number | null> => {
        const r = await q.one(`SELECT MIN(${LIMIT_AT}) AS next_at FROM jobs WHERE ${limited}`)
        return r?.next_at === null || r?.next_at === undefined ? null : Number(r.next_at)
      }
      // Read first, outside a transaction: most cycles find nothing due and write nothing.
      const first = await nearest(db)
      if (first === null || first > at) return { ended: [], nextAt: first }
      return db.tx(SCHEDULING_LOCK, async q => {
        const ended: Job[] = []
        for (const job of (await q.all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE ${limited} AND ${LIMIT_AT} <= ? ORDER BY id`, at)).map(toJob)) {
          await endJob(q, job, 'failed', at, 'scheduler', 'TIMEOUT')
          ended.push((await jobById(q, job.id))!)
        }
        return { ended, nextAt: await nearest(q) }
      })
    },

    async heldGpuIds (gpuIds) {
      if (gpuIds.length === 0) return []
      return (await db.all(`SELECT gpu_id FROM job_gpus WHERE released_at IS NULL AND ${db.dialect.inList('gpu_id', 'bigint')}`, [...gpuIds])).map(r => Number(r.gpu_id))
    },

    async countsByCluster (clusterIds) {
      const out = new Map<number, JobCountsRow>()
      if (clusterIds.length === 0) return out
      const rows = await db.all(`SELECT cluster_id, COUNT(*) FILTER (WHERE status = 'running') AS running,
            COUNT(*) FILTER (WHERE status IN ('queued', 'blocked')) AS waiting
          FROM jobs WHERE ${db.dialect.inList('cluster_id', 'bigint')} AND status IN ('running', 'queued', 'blocked')
          GROUP BY cluster_id`, clusterIds)
      for (const r of rows) out.set(Number(r.cluster_id), { running: Number(r.running), waiting: Number(r.waiting) })
      return out
    },

    async recent (clusterId, limit, tenantId = null) {
      if (tenantId === null) return (await db.all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? ORDER BY id DESC LIMIT ?`, clusterId, limit)).map(toJob)
      return (await db.all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE cluster_id = ? AND tenant_id = ? ORDER BY id DESC LIMIT ?`, clusterId, tenantId, limit)).map(toJob)
    },

    async queueStats (since, tenantId = null) { return sqlQueueStats(db, since, tenantId) },

    async failLostNodeJobs (silentSince, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        const rows = await q.all(`SELECT DISTINCT jg.job_id, g.node_id FROM job_gpus jg
            JOIN jobs j ON j.id = jg.job_id AND j.status = 'running'
            JOIN gpus g ON g.id = jg.gpu_id JOIN nodes n ON n.id = g.node_id
            WHERE jg.released_at IS NULL AND n.status = 'offline' AND COALESCE(n.last_seen_at, n.registered_at) < ?
            ORDER BY jg.job_id, g.node_id`, silentSince)
        const lost = new Map<number, number[]>()
        for (const r of rows) lost.set(Number(r.job_id), [...(lost.get(Number(r.job_id)) ?? []), Number(r.node_id)])
        const out: LostJob[] = []
        for (const [id, nodeIds] of lost) {
          const job = await jobById(q, id)
          if (job === null || job.status !== 'running') continue
          await releaseGpus(q, id, at)
          if (job.requeue) {
            // Waits like a new submission (the next cycle says why); its start and node are forgotten.
            await q.run("UPDATE jobs SET status = 'queued', pending_reason = 'CAPACITY', block_reason = NULL, started_at = NULL, node_id = NULL, pid = NULL WHERE id = ?", id)
            await addEvent(q, id, 'requeued', at, { reason: 'NODE_FAIL', node_ids: nodeIds, ran_ms: job.startedAt === null ? null : at - job.startedAt })
          } else {
            await q.run("UPDATE jobs SET status = 'failed', pending_reason = NULL, block_reason = NULL, end_reason = 'NODE_FAIL', ended_at = ? WHERE id = ?", at, id)
            await addEvent(q, id, 'ended', at, {
              status: 'failed', from: 'running', by: null, reason: 'NODE_FAIL', node_ids: nodeIds, ran_ms: job.startedAt === null ? null : at - job.startedAt,
            }, null, job.nodeId)
          }
          out.push({ job: (await jobById(q, id))!, nodeIds, requeued: job.requeue })
        }
        return out
      })
    },

    async allocation (filter) { return sqlAllocation(db, filter.clusterId ?? null, filter.tenantId ?? null) },

    async assignmentsOn (nodeId) {
      // Only the job's GPUs on this node: a multi-node job runs on its node_id with that node's GPUs.
      const rows = await db.all(`SELECT j.id, j.started_at, j.command, j.env, j.workdir, j.time_limit_min, g.node_id AS gpu_node, g.gpu_index, g.uuid
          FROM jobs j LEFT JOIN job_gpus jg ON jg.job_id = j.id AND jg.released_at IS NULL LEFT JOIN gpus g ON g.id = jg.gpu_id
          WHERE j.node_id = ? AND j.status = 'running' AND j.command IS NOT NULL ORDER BY j.id, g.gpu_index`, nodeId)
      const out: NodeAssignment[] = []
      for (const r of rows) {
        let a = out.at(-1)
        if (a?.jobId !== Number(r.id)) {
          a = {
            jobId: Number(r.id),
            run: Number(r.started_at),
            command: JSON.parse(String(r.command)) as string[],
            env: r.env === null ? {} : JSON.parse(String(r.env)) as Record<string, string>,
            workdir: strOrNull(r.workdir),
            timeLimitMin: numOrNull(r.time_limit_min),
            gpus: [],
          }
          out.push(a)
        }
        if (numOrNull(r.gpu_node) === nodeId) a.gpus.push({ index: Number(r.gpu_index), uuid: strOrNull(r.uuid) })
      }
      return out
    },

    async ranOnNode (jobId, nodeId) {
      return await db.one(`SELECT 1 AS yes FROM jobs WHERE id = ? AND node_id = ?
          UNION ALL SELECT 1 AS yes FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id WHERE jg.job_id = ? AND g.node_id = ?`, jobId, nodeId, jobId, nodeId) !== undefined
    },

    async recordRunStart (jobId, run, pid, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        const job = await jobById(q, jobId)
        if (job === null) return null
        if (job.status !== 'running' || job.startedAt !== run || job.pid === pid) return { kind: 'ignored' as const, job }
        await q.run('UPDATE jobs SET pid = ? WHERE id = ?', pid, jobId)
        await addEvent(q, jobId, 'process_started', at, { run, pid }, null, job.nodeId)
        return { kind: 'recorded' as const, job: (await jobById(q, jobId))! }
      })
    },

    async recordRunExit (jobId, run, exit, at) {
      return db.tx(SCHEDULING_LOCK, async q => {
        const job = await jobById(q, jobId)
        if (job === null) return null
        // An old run (requeued since, or started again) never touches the job.
        if (job.startedAt !== run) return { kind: 'ignored' as const, job }
        const detail = { run, exit_code: exit.exitCode, signal: exit.signal, failure: exit.failure, message: exit.message }
        if (job.status === 'running') {
          const completed = exit.failure === null && exit.exitCode === 0
          const reason: EndReason | null = completed ? null : exit.failure ?? (exit.signal !== null ? 'SIGNAL' : exit.exitCode !== null ? 'EXIT_CODE' : 'LAUNCH_FAILED')
          await endJob(q, job, completed ? 'completed' : 'failed', at, 'agent', reason)
          await q.run('UPDATE jobs SET exit_code = ?, exit_signal = ? WHERE id = ?', exit.exitCode, exit.signal, jobId)
          await addEvent(q, jobId, 'exited', at, detail, null, job.nodeId)
          return { kind: 'ended' as const, job: (await jobById(q, jobId))! }
        }
        // Ended meanwhile (cancelled, TIMEOUT, NODE_FAIL): keep how the process ended, once; never reopen.
        if (job.endedAt === null || job.exitCode !== null || job.exitSignal !== null) return { kind: 'ignored' as const, job }
        await q.run('UPDATE jobs SET exit_code = ?, exit_signal = ? WHERE id = ?', exit.exitCode, exit.signal, jobId)
        await addEvent(q, jobId, 'exited', at, detail, null, job.nodeId)
        return { kind: 'recorded' as const, job: (await jobById(q, jobId))! }
      })
    },
  }
}

const jsonText = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v))
