import type {
  CyclePlan, FreeGpu, InventoryRow, PendingReason, SchedulerCycle, SchedulerSnapshot, SnapshotOptions, WaitingJob, WaitingStatus,
} from '../job-repository.ts'
import { KEEP_SCHEDULER_CYCLES } from '../job-repository.ts'
import type { TenantStatus } from '../tenant-repository.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import { pgGpuInventory } from './pg-gpu-inventory.ts'
import { SCHEDULING_LOCK } from '../store-locks.ts'
import { cycleDetail } from '../sql/cycle-detail.ts'
import { RUNNING_GPUS_SQL, runningEnds } from '../sql/running-ends.ts'

async function readSnapshot (q: PgQuery, at: number, opts: SnapshotOptions): Promise<SchedulerSnapshot> {
  // FOR UPDATE: the waiting jobs stay as read until the cycle commits, whoever else writes.
  const jobs = (await q.all(`SELECT id, cluster_id, tenant_id, gpu_count, gpu_type, priority, status, pending_reason, block_reason, submitted_at, time_limit_min
      FROM jobs WHERE status IN ('queued', 'blocked') ORDER BY priority, submitted_at, id FOR UPDATE`)).map((r): WaitingJob => ({
    id: Number(r.id),
    clusterId: Number(r.cluster_id),
    tenantId: r.tenant_id === null ? null : Number(r.tenant_id),
    gpuCount: Number(r.gpu_count),
    gpuType: r.gpu_type as string | null,
    priority: Number(r.priority),
    status: r.status as WaitingStatus,
    pendingReason: r.pending_reason as PendingReason | null,
    blockReason: r.block_reason as string | null,
    submittedAt: Number(r.submitted_at),
    timeLimitMin: r.time_limit_min === null ? null : Number(r.time_limit_min),
  }))
  // A running job holds exactly gpu_count GPUs (assigned together, released together).
  const tenants = (await q.all(`SELECT t.id, t.gpu_quota, t.status,
        (SELECT COALESCE(SUM(j.gpu_count), 0) FROM jobs j WHERE j.tenant_id = t.id AND j.status = 'running') AS held
      FROM tenants t`)).map(r => ({ id: Number(r.id), gpuQuota: Number(r.gpu_quota), status: r.status as TenantStatus, gpusHeld: Number(r.held) }))
  const nodes = new Map((await q.all('SELECT id, cluster_id, status, drained_at FROM nodes')).map(r => [Number(r.id), { clusterId: Number(r.cluster_id), online: r.status === 'online', drained: r.drained_at !== null }]))
  const inv = await pgGpuInventory(q)
  const inventory: InventoryRow[] = []
  for (const r of inv.byNodeModel) {
    const n = nodes.get(r.nodeId)
    if (n !== undefined) inventory.push({ nodeId: r.nodeId, clusterId: n.clusterId, nodeOnline: n.online, ...(n.drained && { nodeDrained: true }), model: r.model, count: r.count })
  }
  const held = new Set((await q.all('SELECT gpu_id FROM job_gpus WHERE released_at IS NULL')).map(r => Number(r.gpu_id)))
  const free: FreeGpu[] = []
  const unreported: FreeGpu[] = []
  // Idle with a fresh reading (free), and no fresh reading at all (not reporting).
  for (const r of await q.all(`SELECT id, updated_at >= ? AS fresh FROM gpus
      WHERE (status = 'idle' AND updated_at >= ?) OR updated_at IS NULL OR updated_at < ?`, opts.freshSince, opts.freshSince, opts.freshSince)) {
    const id = Number(r.id)
    const g = inv.gpus.get(id)
    const n = g === undefined ? undefined : nodes.get(g.nodeId)
    if (g === undefined || n === undefined || !n.online || n.drained || held.has(id)) continue
    ;(r.fresh === true ? free : unreported).push({ id, nodeId: g.nodeId, clusterId: n.clusterId, gpuIndex: g.gpuIndex, model: g.model })
  }
  const snapshot: SchedulerSnapshot = { at, jobs, tenants, inventory, free, unreported }
  if (jobs.some(j => j.timeLimitMin != null)) {
    const rows = (await q.all(RUNNING_GPUS_SQL)).map(r => ({
      jobId: Number(r.id),
      startedAt: Number(r.started_at),
      timeLimitMin: r.time_limit_min === null ? null : Number(r.time_limit_min),
      estimatedDurationMin: r.estimated_duration_min === null ? null : Number(r.estimated_duration_min),
      gpuId: Number(r.gpu_id),
    }))
    snapshot.ends = runningEnds(rows, inv.gpus)
  }
  return snapshot
}

/**
 * One scheduling cycle in one transaction (sqlite-run-cycle.ts on PostgreSQL). The scheduling
 * advisory lock keeps submits, job changes and other replicas' cycles out between snapshot and
 * writes; the compare-and-set updates and job_gpus_one_holder hold the guarantees even so.
 */
export async function pgRunCycle (db: PgDb, when: number | (() => number), trigger: string, opts: SnapshotOptions, plan: (s: SchedulerSnapshot) => CyclePlan): Promise<SchedulerCycle> {
  const t0 = performance.now()
  return db.tx(SCHEDULING_LOCK, async q => {
    // Read once the lock is held (JobRepository.runCycle).
    const at = typeof when === 'function' ? when() : when
    const p = plan(await readSnapshot(q, at, opts))
    const event = (jobId: number, kind: string, gpuId: number | null, nodeId: number | null, detail: string | null) =>
      q.run('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?)', jobId, kind, at, gpuId, nodeId, detail)
    let started = 0
    let skipped = 0
    for (const s of p.starts) {
      const n = await q.run(`UPDATE jobs SET status = 'running', pending_reason = NULL, block_reason = NULL, started_at = ?, node_id = ?
          WHERE id = ? AND status = ? AND pending_reason IS NOT DISTINCT FROM ?`, at, s.nodeId, s.jobId, s.expect.status, s.expect.pendingReason)
      if (n === 0) { skipped++; continue }
      started++
      for (const g of s.gpus) {
        // The model is copied from gpus as it is now (billing prices what ran), not from the plan.
        await q.run('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at) SELECT ?, id, model, ? FROM gpus WHERE id = ?', s.jobId, at, g.gpuId)
        await event(s.jobId, 'gpu_assigned', g.gpuId, g.nodeId, null)
      }
      await event(s.jobId, 'started', null, s.nodeId, JSON.stringify(s.detail))
    }
    for (const c of p.changes) {
      const n = await q.run('UPDATE jobs SET status = ?, pending_reason = ?, block_reason = ? WHERE id = ? AND status = ? AND pending_reason IS NOT DISTINCT FROM ?',
        c.status, c.pendingReason, c.blockReason, c.jobId, c.expect.status, c.expect.pendingReason)
      if (n === 0) { skipped++; continue }
      if (c.status === 'blocked' && (c.expect.status !== 'blocked' || c.expect.pendingReason !== c.pendingReason)) {
        await event(c.jobId, 'blocked', null, null, JSON.stringify({ pending_reason: c.pendingReason, block_reason: c.blockReason }))
      } else if (c.status === 'queued' && c.expect.status === 'blocked') {
        await event(c.jobId, 'unblocked', null, null, JSON.stringify({ pending_reason: c.pendingReason, was: c.expect.pendingReason }))
      }
    }
    const { value: detailObj, json: detail } = cycleDetail(p.detail, skipped)
    const durationMs = Math.round((performance.now() - t0) * 1000) / 1000
    const row = await q.one(`INSERT INTO scheduler_cycles (started_at, duration_ms, trigger, processed, started, blocked, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, at, durationMs, trigger, p.processed, started, p.blocked, detail)
    const id = Number(row!.id)
    await q.run('DELETE FROM scheduler_cycles WHERE id <= ?', id - KEEP_SCHEDULER_CYCLES)
    return { id, startedAt: at, durationMs, trigger, processed: p.processed, started, blocked: p.blocked, detail: detailObj }
  })
}
