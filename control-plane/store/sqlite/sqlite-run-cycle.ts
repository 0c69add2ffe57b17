import type {
  CyclePlan, FreeGpu, InventoryRow, PendingReason, SchedulerCycle, SchedulerSnapshot, SnapshotOptions, WaitingJob, WaitingStatus,
} from '../job-repository.ts'
import { KEEP_SCHEDULER_CYCLES } from '../job-repository.ts'
import type { TenantStatus } from '../tenant-repository.ts'
import type { StatementSync } from 'node:sqlite'
import type { SqliteDb } from './sqlite-db.ts'
import { gpuInventory } from './sqlite-gpu-inventory.ts'
import { cycleDetail } from '../sql/cycle-detail.ts'
import { RUNNING_GPUS_SQL, runningEnds } from '../sql/running-ends.ts'

type Row = Record<string, unknown>

// Rows come back as arrays (column order as selected): about half the cost of objects at
// 10,000 jobs a cycle. Statements of their own, so the setting touches nothing else.
type Name = 'jobs' | 'tenants' | 'nodes' | 'idle' | 'held' | 'running'
const snapshotStatements = new WeakMap<SqliteDb, Record<Name, StatementSync>>()

function statementsFor (db: SqliteDb) {
  let s = snapshotStatements.get(db)
  if (s === undefined) {
    const prepare = (sql: string) => {
      const st = db.raw.prepare(sql)
      st.setReturnArrays(true)
      return st
    }
    s = {
      // jobs_waiting_order is exactly this order over exactly these rows: no sort step.
      jobs: prepare(`SELECT id, cluster_id, tenant_id, gpu_count, gpu_type, priority, status, pending_reason, block_reason, submitted_at, time_limit_min
          FROM jobs INDEXED BY jobs_waiting_order WHERE status IN ('queued', 'blocked') ORDER BY priority, submitted_at, id`),
      // A running job holds exactly gpu_count GPUs (assigned together, released together), so
      // its gpu_count is its share of job_gpus, read off jobs_tenant without touching job_gpus.
      tenants: prepare(`SELECT t.id, t.gpu_quota, t.status,
            (SELECT COALESCE(SUM(j.gpu_count), 0) FROM jobs j WHERE j.tenant_id = t.id AND j.status = 'running') AS held
          FROM tenants t`),
      nodes: prepare('SELECT id, cluster_id, status, drained_at FROM nodes'),
      // Ids as one string each: thousands of one-cell rows cost more than the scan itself. One
      // scan for both lists: idle with a fresh reading, and no fresh reading (not reporting).
      idle: prepare(`SELECT group_concat(CASE WHEN status = 'idle' AND updated_at >= ? THEN id END),
          group_concat(CASE WHEN updated_at IS NULL OR updated_at < ? THEN id END) FROM gpus`),
      held: prepare('SELECT group_concat(gpu_id) FROM job_gpus WHERE released_at IS NULL'),
      running: prepare(RUNNING_GPUS_SQL),
    }
    snapshotStatements.set(db, s)
  }
  return s
}

type Cells = unknown[]
const int = (v: unknown): number => Number(v)
const intOrNull = (v: unknown): number | null => (v === null ? null : Number(v))
const strOrNull = (v: unknown): string | null => (v === null ? null : String(v))
const idList = (list: unknown): number[] => (list === null || list === undefined ? [] : String(list).split(',').map(Number))
const ids = (st: StatementSync, ...args: number[]): number[] => idList((st.get(...args) as unknown as Cells)[0])

function readSnapshot (db: SqliteDb, at: number, opts: SnapshotOptions): SchedulerSnapshot {
  const st = statementsFor(db)
  const jobs = (st.jobs.all() as unknown as Cells[]).map((r): WaitingJob => ({
    id: int(r[0]),
    clusterId: int(r[1]),
    tenantId: intOrNull(r[2]),
    gpuCount: int(r[3]),
    gpuType: strOrNull(r[4]),
    priority: int(r[5]),
    status: r[6] as WaitingStatus,
    pendingReason: strOrNull(r[7]) as PendingReason | null,
    blockReason: strOrNull(r[8]),
    submittedAt: int(r[9]),
    timeLimitMin: intOrNull(r[10]),
  }))
  const tenants = (st.tenants.all() as unknown as Cells[])
    .map(r => ({ id: int(r[0]), gpuQuota: int(r[1]), status: r[2] as TenantStatus, gpusHeld: int(r[3]) }))
  // Node state and cluster are live; which GPU sits where comes from the cached inventory.
  const nodes = new Map((st.nodes.all() as unknown as Cells[]).map(r => [int(r[0]), { clusterId: int(r[1]), online: r[2] === 'online', drained: r[3] !== null }]))
  const inv = gpuInventory(db, at)
  const inventory: InventoryRow[] = []
  for (const r of inv.byNodeModel) {
    const n = nodes.get(r.nodeId)
    if (n !== undefined) inventory.push({ nodeId: r.nodeId, clusterId: n.clusterId, nodeOnline: n.online, ...(n.drained && { nodeDrained: true }), model: r.model, count: r.count })
  }
  const held = new Set(ids(st.held))
  const [idle, silent] = st.idle.get(opts.freshSince, opts.freshSince) as unknown as Cells
  const onOnlineNodes = (list: unknown): FreeGpu[] => {
    const out: FreeGpu[] = []
    for (const id of idList(list)) {
      const g = inv.gpus.get(id)
      const n = g === undefined ? undefined : nodes.get(g.nodeId)
      if (g === undefined || n === undefined || !n.online || n.drained || held.has(id)) continue
      out.push({ id, nodeId: g.nodeId, clusterId: n.clusterId, gpuIndex: g.gpuIndex, model: g.model })
    }
    return out
  }
  const snapshot: SchedulerSnapshot = { at, jobs, tenants, inventory, free: onOnlineNodes(idle), unreported: onOnlineNodes(silent) }
  if (jobs.some(j => j.timeLimitMin != null)) {
    const rows = (st.running.all() as unknown as Cells[])
      .map(r => ({ jobId: int(r[0]), startedAt: int(r[1]), timeLimitMin: intOrNull(r[2]), estimatedDurationMin: intOrNull(r[3]), gpuId: int(r[4]) }))
    snapshot.ends = runningEnds(rows, inv.gpus)
  }
  return snapshot
}

/**
 * One scheduling cycle in one IMMEDIATE transaction: nothing another writer does can slip
 * between the snapshot and the writes, and a throw (or a crash: SQLite's journal) leaves no
 * job half-started. On PostgreSQL the same shape needs the leader's advisory lock plus
 * SELECT … FOR UPDATE on the waiting jobs; even without them the compare-and-set updates
 * below (a job changed by an API call meanwhile is skipped) and job_gpus_one_holder keep job
 * states and GPU holders consistent. duration_ms covers snapshot, plan and writes (not COMMIT).
 */
export function sqliteRunCycle (db: SqliteDb, when: number | (() => number), trigger: string, opts: SnapshotOptions, plan: (s: SchedulerSnapshot) => CyclePlan): SchedulerCycle {
  const t0 = performance.now()
  return db.tx(() => {
    const at = typeof when === 'function' ? when() : when
    const p = plan(readSnapshot(db, at, opts))
    const event = db.stmt('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
    let started = 0
    let skipped = 0
    for (const s of p.starts) {
      const r = db.stmt(`UPDATE jobs SET status = 'running', pending_reason = NULL, block_reason = NULL, started_at = ?, node_id = ?
          WHERE id = ? AND status = ? AND pending_reason IS ?`)
        .run(at, s.nodeId, s.jobId, s.expect.status, s.expect.pendingReason)
      if (Number(r.changes) === 0) { skipped++; continue }
      started++
      // The model is copied from gpus as it is now (billing prices what ran), not from the plan.
      const assign = db.stmt('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at) SELECT ?, id, model, ? FROM gpus WHERE id = ?')
      for (const g of s.gpus) {
        assign.run(s.jobId, at, g.gpuId)
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
    const { value: detailObj, json: detail } = cycleDetail(p.detail, skipped)
    const durationMs = Math.round((performance.now() - t0) * 1000) / 1000
    const row = db.stmt(`INSERT INTO scheduler_cycles (started_at, duration_ms, trigger, processed, started, blocked, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`).get(at, durationMs, trigger, p.processed, started, p.blocked, detail) as Row
    const id = Number(row.id)
    db.stmt('DELETE FROM scheduler_cycles WHERE id <= ?').run(id - KEEP_SCHEDULER_CYCLES)
    return { id, startedAt: at, durationMs, trigger, processed: p.processed, started, blocked: p.blocked, detail: detailObj }
  })
}
