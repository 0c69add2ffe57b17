import type { CyclePlan, PendingReason, SchedulerCycle, SchedulerSnapshot, SnapshotGpu, WaitingJob, WaitingStatus } from '../job-repository.ts'
import type { GpuStatus } from '../fleet-repository.ts'
import type { TenantStatus } from '../tenant-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'

type Row = Record<string, unknown>

/** Cycles kept in scheduler_cycles (≈ 3.5 days at one per 30 s; fewer under a busy queue). */
export const KEEP_SCHEDULER_CYCLES = 10_000

// Detail JSON is written as the plan gives it; this caps a runaway plan, not a normal one.
const MAX_DETAIL_CHARS = 256 * 1024

function readSnapshot (db: SqliteDb, at: number): SchedulerSnapshot {
  const jobs = (db.stmt(`SELECT id, cluster_id, tenant_id, gpu_count, gpu_type, priority, status, pending_reason, block_reason, submitted_at
      FROM jobs WHERE status IN ('queued', 'blocked') ORDER BY priority, submitted_at, id`).all() as Row[])
    .map((r): WaitingJob => ({
      id: Number(r.id),
      clusterId: Number(r.cluster_id),
      tenantId: r.tenant_id === null ? null : Number(r.tenant_id),
      gpuCount: Number(r.gpu_count),
      gpuType: r.gpu_type === null ? null : String(r.gpu_type),
      priority: Number(r.priority),
      status: r.status as WaitingStatus,
      pendingReason: r.pending_reason === null ? null : String(r.pending_reason) as PendingReason,
      blockReason: r.block_reason === null ? null : String(r.block_reason),
      submittedAt: Number(r.submitted_at),
    }))
  const tenants = (db.stmt('SELECT id, gpu_quota, status FROM tenants').all() as Row[])
    .map(r => ({ id: Number(r.id), gpuQuota: Number(r.gpu_quota), status: r.status as TenantStatus }))
  const gpus = (db.stmt(`SELECT g.id, g.node_id, n.cluster_id, g.gpu_index, g.model, g.status, g.updated_at, n.status AS node_status
      FROM gpus g JOIN nodes n ON n.id = g.node_id ORDER BY g.node_id, g.gpu_index`).all() as Row[])
    .map((r): SnapshotGpu => ({
      id: Number(r.id),
      nodeId: Number(r.node_id),
      clusterId: Number(r.cluster_id),
      gpuIndex: Number(r.gpu_index),
      model: r.model === null ? null : String(r.model),
      status: r.status as GpuStatus,
      updatedAt: r.updated_at === null ? null : Number(r.updated_at),
      nodeOnline: r.node_status === 'online',
    }))
  const held = (db.stmt(`SELECT jg.gpu_id, jg.job_id, j.tenant_id FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id
      WHERE jg.released_at IS NULL`).all() as Row[])
    .map(r => ({ gpuId: Number(r.gpu_id), jobId: Number(r.job_id), tenantId: r.tenant_id === null ? null : Number(r.tenant_id) }))
  return { at, jobs, tenants, gpus, held }
}

/**
 * One scheduling cycle in one IMMEDIATE transaction: nothing another writer does can slip
 * between the snapshot and the writes, and a throw (or a crash: SQLite's journal) leaves no
 * job half-started. On PostgreSQL the same shape needs the leader's advisory lock plus
 * SELECT … FOR UPDATE on the waiting jobs; the compare-and-set updates below (a job changed
 * by an API call meanwhile is skipped) and job_gpus_one_holder keep it correct even without.
 */
export function sqliteRunCycle (db: SqliteDb, at: number, trigger: string, plan: (s: SchedulerSnapshot) => CyclePlan): SchedulerCycle {
  const t0 = performance.now()
  return db.tx(() => {
    const p = plan(readSnapshot(db, at))
    const event = db.stmt('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
    let started = 0
    let skipped = 0
    for (const s of p.starts) {
      const r = db.stmt(`UPDATE jobs SET status = 'running', pending_reason = NULL, block_reason = NULL, started_at = ?, node_id = ?
          WHERE id = ? AND status = ? AND pending_reason IS ?`)
        .run(at, s.nodeId, s.jobId, s.expect.status, s.expect.pendingReason)
      if (Number(r.changes) === 0) { skipped++; continue }
      started++
      const assign = db.stmt('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at) VALUES (?, ?, ?, ?)')
      for (const g of s.gpus) {
        assign.run(s.jobId, g.gpuId, g.model, at)
        event.run(s.jobId, 'gpu_assigned', at, g.gpuId, g.nodeId, null)
      }
      event.run(s.jobId, 'started', at, null, s.nodeId, JSON.stringify(s.detail))
    }
    for (const c of p.changes) {
      const r = db.stmt('UPDATE jobs SET status = ?, pending_reason = ?, block_reason = ? WHERE id = ? AND status = ? AND pending_reason IS ?')
        .run(c.status, c.pendingReason, c.blockReason, c.jobId, c.expect.status, c.expect.pendingReason)
      if (Number(r.changes) === 0) { skipped++; continue }
      if (c.status === 'blocked' && (c.expect.status !== 'blocked' || c.expect.pendingReason !== c.pendingReason)) {
        event.run(c.jobId, 'blocked', at, null, null, JSON.stringify({ pending_reason: c.pendingReason, block_reason: c.blockReason }))
      } else if (c.status === 'queued' && c.expect.status === 'blocked') {
        event.run(c.jobId, 'unblocked', at, null, null, JSON.stringify({ pending_reason: c.pendingReason, was: c.expect.pendingReason }))
      }
    }
    let detailObj = skipped === 0 ? p.detail : { ...p.detail, skipped_changed_meanwhile: skipped }
    let detail = JSON.stringify(detailObj)
    if (detail.length > MAX_DETAIL_CHARS) {
      detailObj = { truncated: true, chars: detail.length }
      detail = JSON.stringify(detailObj)
    }
    const durationMs = Math.round((performance.now() - t0) * 1000) / 1000
    const row = db.stmt(`INSERT INTO scheduler_cycles (started_at, duration_ms, trigger, processed, started, blocked, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`).get(at, durationMs, trigger, p.processed, started, p.blocked, detail) as Row
    const id = Number(row.id)
    db.stmt('DELETE FROM scheduler_cycles WHERE id <= ?').run(id - KEEP_SCHEDULER_CYCLES)
    return { id, startedAt: at, durationMs, trigger, processed: p.processed, started, blocked: p.blocked, detail: detailObj }
  })
}
