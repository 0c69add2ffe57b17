import type { AnalyticsRepository, JobGpuUse, JobRecord, WorkerEventRow } from '../analytics-repository.ts'
import type { SqlDb } from '../sql-db.ts'
import { MAX_MS, MIN_MS } from './endpoint-rows.ts'

type ReadPart = Pick<AnalyticsRepository, 'listJobs' | 'listGpuIntervals' | 'listJobStarts' | 'listRates' | 'listWorkerEvents'>

// The job events that describe workers; submitted/blocked/held… are scheduler bookkeeping.
const WORKER_JOB_KINDS = `('started', 'ended', 'gpu_assigned', 'gpu_released')`
// A job without a node of its own is placed where its first GPU is.
const FIRST_GPU_HOST = `(SELECT n2.hostname FROM job_gpus jg2 JOIN gpus g2 ON g2.id = jg2.gpu_id JOIN nodes n2 ON n2.id = g2.node_id
  WHERE jg2.job_id = j.id ORDER BY jg2.assigned_at, jg2.gpu_id LIMIT 1)`

/** One job row (as listJobs selects it) → record. */
export function toJobRecord (r: any, gpus: JobGpuUse[]): JobRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    tenantId: r.tenant_id,
    tenantName: r.tenant_name,
    status: r.status,
    gpuType: r.gpu_type,
    gpuCount: r.gpu_count,
    clusterId: r.cluster_id,
    nodeId: r.node_id,
    hostname: r.hostname,
    submittedAt: r.submitted_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    gpus,
  }
}

/**
 * Read-only views of tables other domains write (jobs, job_gpus, job_events: scheduling;
 * rates: billing; nodes, gpus, node_events: fleet), which the README lists analytics as a
 * reader of. Only these queries know their columns.
 */
export function createSqlAnalyticsReads (db: SqlDb): ReadPart {
  return {
    async listJobs (kinds, q) {
      if (kinds.length === 0) return { items: [], hasMore: false }
      const dir = q.order === 'asc' ? 'ASC' : 'DESC'
      const rows = await db.all<any>(`SELECT j.id, j.name, j.kind, j.tenant_id, t.name AS tenant_name, j.status, j.gpu_type, j.gpu_count,
          j.cluster_id, j.node_id, COALESCE(n.hostname, ${FIRST_GPU_HOST}) AS hostname, j.submitted_at, j.started_at, j.ended_at
        FROM jobs j LEFT JOIN tenants t ON t.id = j.tenant_id LEFT JOIN nodes n ON n.id = j.node_id
        WHERE j.kind IN (${kinds.map(() => '?').join(', ')}) AND j.submitted_at >= ? AND j.submitted_at < ?
        ORDER BY j.submitted_at ${dir}, j.id ${dir} LIMIT ? OFFSET ?`,
      ...kinds, q.since ?? MIN_MS, q.until ?? MAX_MS, q.limit + 1, q.offset)
      const page = rows.slice(0, q.limit)
      const gpus = new Map<number, JobGpuUse[]>()
      if (page.length > 0) {
        const held = await db.all<any>(`SELECT jg.job_id, jg.gpu_id, COALESCE(jg.gpu_model, j.gpu_type) AS gpu_model, n.hostname,
            jg.assigned_at, jg.released_at
          FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id LEFT JOIN gpus g ON g.id = jg.gpu_id LEFT JOIN nodes n ON n.id = g.node_id
          WHERE ${db.dialect.inList('jg.job_id', 'bigint')} ORDER BY jg.job_id, jg.assigned_at, jg.gpu_id`, page.map(r => r.id))
        for (const h of held) {
          let list = gpus.get(h.job_id)
          if (list === undefined) gpus.set(h.job_id, list = [])
          list.push({ gpuId: h.gpu_id, gpuModel: h.gpu_model, hostname: h.hostname, assignedAt: h.assigned_at, releasedAt: h.released_at })
        }
      }
      const items = page.map(r => toJobRecord(r, gpus.get(r.id) ?? []))
      return { items, hasMore: rows.length > q.limit }
    },

    async listGpuIntervals (from, to) {
      const held = await db.all<any>(`SELECT jg.job_id, jg.gpu_id, 1 AS gpus, COALESCE(jg.gpu_model, j.gpu_type) AS gpu_model, n.hostname,
          jg.assigned_at AS from_at,
          CASE WHEN j.ended_at IS NOT NULL AND (jg.released_at IS NULL OR jg.released_at > j.ended_at) THEN j.ended_at ELSE jg.released_at END AS to_at
        FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id LEFT JOIN gpus g ON g.id = jg.gpu_id LEFT JOIN nodes n ON n.id = g.node_id
        WHERE jg.assigned_at < ? AND (jg.released_at IS NULL OR jg.released_at > ?)
        ORDER BY jg.assigned_at, jg.job_id, jg.gpu_id`, to, from)
      // Priced the way history prices them (price-job.ts), so the two always agree.
      const unassigned = await db.all<any>(`SELECT j.id AS job_id, CAST(NULL AS BIGINT) AS gpu_id, j.gpu_count AS gpus, j.gpu_type AS gpu_model, n.hostname,
          j.started_at AS from_at, j.ended_at AS to_at
        FROM jobs j LEFT JOIN nodes n ON n.id = j.node_id
        WHERE j.started_at < ? AND (j.ended_at IS NULL OR j.ended_at > ?) AND NOT EXISTS (SELECT 1 FROM job_gpus x WHERE x.job_id = j.id)
        ORDER BY j.started_at, j.id`, to, from)
      return [...held, ...unassigned].map(r => ({
        jobId: r.job_id, gpuId: r.gpu_id, gpus: r.gpus, gpuModel: r.gpu_model, hostname: r.hostname, from: r.from_at, to: r.to_at,
      }))
    },

    async listJobStarts (from, to) {
      const rows = await db.all<any>(`SELECT j.id, j.started_at, COALESCE(n.hostname, ${FIRST_GPU_HOST}) AS hostname
        FROM jobs j LEFT JOIN nodes n ON n.id = j.node_id
        WHERE j.started_at >= ? AND j.started_at < ? ORDER BY j.started_at, j.id`, from, to)
      return rows.map(r => ({ jobId: r.id, at: r.started_at, hostname: r.hostname }))
    },

    async listRates () {
      const rows = await db.all<any>('SELECT gpu_type, cents_per_gpu_hour FROM rates ORDER BY gpu_type')
      return rows.map(r => ({ gpuType: r.gpu_type, centsPerGpuHour: r.cents_per_gpu_hour }))
    },

    async listWorkerEvents (q) {
      const since = q.since ?? MIN_MS
      const until = q.until ?? MAX_MS
      // Each side is read in index order up to limit + 1, then merged: never more than that.
      const nodes = (await db.all<any>(`SELECT e.id, e.at, e.kind, e.node_id, n.hostname, e.detail
        FROM node_events e LEFT JOIN nodes n ON n.id = e.node_id
        WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id LIMIT ?`, since, until, q.limit + 1))
        .map((r): WorkerEventRow => ({
          origin: 'node', rowId: r.id, at: r.at, kind: r.kind, nodeId: r.node_id, hostname: r.hostname, gpuId: null, jobId: null, detail: r.detail,
        }))
      const jobs = (await db.all<any>(`SELECT e.id, e.at, e.kind, COALESCE(e.node_id, g.node_id, j.node_id) AS node_id, n.hostname, e.gpu_id,
          e.job_id, e.detail
        FROM job_events e LEFT JOIN gpus g ON g.id = e.gpu_id LEFT JOIN jobs j ON j.id = e.job_id
          LEFT JOIN nodes n ON n.id = COALESCE(e.node_id, g.node_id, j.node_id)
        WHERE e.at >= ? AND e.at < ? AND e.kind IN ${WORKER_JOB_KINDS} ORDER BY e.at, e.id LIMIT ?`, since, until, q.limit + 1))
        .map((r): WorkerEventRow => ({
          origin: 'job', rowId: r.id, at: r.at, kind: r.kind, nodeId: r.node_id, hostname: r.hostname, gpuId: r.gpu_id, jobId: r.job_id, detail: r.detail,
        }))
      const merged: WorkerEventRow[] = []
      let i = 0
      let k = 0
      while (merged.length <= q.limit && (i < nodes.length || k < jobs.length)) {
        const a = nodes[i]
        const b = jobs[k]
        // Same instant: the node event first (an agent comes online before its GPUs are used).
        if (b === undefined || (a !== undefined && a.at <= b.at)) {
          merged.push(a!)
          i++
        } else {
          merged.push(b)
          k++
        }
      }
      return { events: merged.slice(0, q.limit), truncated: merged.length > q.limit }
    },
  }
}
