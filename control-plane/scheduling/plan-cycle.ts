import type { CyclePlan, PendingReason, PlannedStart, PlannedWait, SchedulerSnapshot, WaitingJob, WaitVerdict } from '../store/job-repository.ts'
import { createPlacementIndex } from './create-placement-index.ts'
import { DEFAULT_AGING, effectivePriority, type AgingPolicy } from './effective-priority.ts'
import { judgeLimits } from './judge-limits.ts'
import { statusForReason } from './status-for-reason.ts'

/** Jobs listed by name in a cycle's detail (the counts always cover all of them). */
export const MAX_LISTED = 50

/** What a cycle decides by, besides the snapshot. */
export interface CyclePolicy {
  aging: AgingPolicy
}

export const DEFAULT_POLICY: Readonly<CyclePolicy> = Object.freeze({ aging: DEFAULT_AGING })

/** The snapshot's jobs (in priority, submit time, id order) reordered by aged priority, then submit time, then id. */
function inAgedOrder (jobs: readonly WaitingJob[], at: number, aging: AgingPolicy): readonly WaitingJob[] {
  if (aging.maxSteps === 0) return jobs
  const keyed = jobs.map(job => ({ job, p: effectivePriority(job.priority, at - job.submittedAt, aging) }))
  keyed.sort((a, b) => a.p - b.p || a.job.submittedAt - b.job.submittedAt || a.job.id - b.job.id)
  return keyed.map(k => k.job)
}

/**
 * One scheduling decision over a snapshot: pure, so the whole policy is tested without a
 * database. Jobs are taken in order: aged priority (effective-priority.ts; 1 first), then
 * submit time, then id.
 *
 * Backfill policy, conservative: a job that must wait for GPUs reserves, for the rest of
 * the cycle, the node it is closest to fitting on (the most free GPUs among nodes big enough;
 * enough such nodes for a multi-node job). A lower-priority job may start only on GPUs no
 * higher-priority waiting job has reserved, so it never delays one: a reserved node drains
 * until the job it is held for fits. Backfill by time (Slurm's model): a reservation expects
 * its job to start when enough of the node's running jobs have ended (time limit, else
 * estimated_duration_min); a one-node job with a time limit that ends by then may start on the
 * reserved node's free GPUs. An end that is unknown (no limit, no estimate) allows none. Reservations last one cycle and are made afresh, in
 * order, the next. A job that would fit on reserved GPUs waits with PRIORITY; one that would
 * not fit even so waits with NODE_OFFLINE when its cluster's online nodes lack the matching
 * GPUs, NODE_NOT_REPORTING when it would fit were GPUs that send no readings free, else CAPACITY.
 *
 * Quota: a tenant's held GPUs plus the job's must stay within its quota. Once one of a
 * tenant's jobs waits on QUOTA, the tenant's later jobs in order wait with TENANT_QUEUE (head
 * of line), so a small job cannot keep taking the headroom a
 * bigger, earlier one is waiting for. A job that waits for GPUs (CAPACITY, PRIORITY and the
 * node reasons) keeps its quota headroom the same way: its GPUs count as the tenant's for the
 * tenant's later jobs, so they cannot start elsewhere, use up the quota and flip it to QUOTA
 * (which would drop its reservation).
 * Jobs on OPERATOR_HOLD are left exactly as they are. Drained nodes take no jobs and are not
 * reserved; a job that fits online nodes only if drained ones count waits with NODE_DRAINED.
 */
export function planCycle (snapshot: SchedulerSnapshot, policy: CyclePolicy = DEFAULT_POLICY): CyclePlan {
  /** Per tenant: GPUs held, plus those started this cycle and those its waiting jobs keep. */
  const used = new Map(snapshot.tenants.map(t => [t.id, t.gpusHeld]))
  const tenants = new Map(snapshot.tenants.map(t => [t.id, t]))
  const index = createPlacementIndex(snapshot.inventory, snapshot.free, { unreported: snapshot.unreported, ends: snapshot.ends, at: snapshot.at })
  const freeBefore = index.freeGpus()
  const quotaWaiting = new Set<number>()

  const starts: PlannedStart[] = []
  const reservations: Array<{ job_id: number, node_ids: number[], expected_start: string | null }> = []
  const changes: PlannedWait[] = []
  const waiting: Partial<Record<PendingReason, number>> = {}
  let blocked = 0

  for (const job of inAgedOrder(snapshot.jobs, snapshot.at, policy.aging)) {
    const expect = { status: job.status, pendingReason: job.pendingReason }
    const wait = (v: WaitVerdict): void => {
      waiting[v.pendingReason] = (waiting[v.pendingReason] ?? 0) + 1
      if (v.status === 'blocked') blocked++
      if (v.status !== job.status || v.pendingReason !== job.pendingReason || v.blockReason !== job.blockReason) {
        changes.push({ jobId: job.id, expect, ...v })
      }
    }
    if (job.pendingReason === 'OPERATOR_HOLD') {
      wait({ status: 'blocked', pendingReason: 'OPERATOR_HOLD', blockReason: job.blockReason })
      continue
    }
    const t = job.tenantId === null ? undefined : tenants.get(job.tenantId)
    const tenant = t === undefined ? null : { gpuQuota: t.gpuQuota, status: t.status, gpusInUse: used.get(t.id) ?? 0 }
    const capacity = index.capacity(job.clusterId, job.gpuType)
    const limited = judgeLimits({
      gpuCount: job.gpuCount, gpuType: job.gpuType, clusterId: job.clusterId,
      clusterCapacity: capacity.total, mixedCapacity: capacity.mixed, tenant,
    })
    // Behind the tenant's first job on QUOTA, a later one waits with TENANT_QUEUE whether or
    // not it would fit the quota left: which of them fit moves with every start and end, and a
    // reason that flipped with it rewrote (and logged an event for) ~1,500 waiting jobs a
    // cycle in bench/scheduler.ts.
    const behind = t !== undefined && quotaWaiting.has(t.id)
    if (limited !== null && !(behind && limited.pendingReason === 'QUOTA')) {
      if (limited.pendingReason === 'QUOTA' && t !== undefined) quotaWaiting.add(t.id)
      wait(limited)
      continue
    }
    if (behind) {
      wait({ status: 'blocked', pendingReason: 'TENANT_QUEUE', blockReason: `behind an earlier job of its tenant waiting for the GPU quota of ${t!.gpuQuota}` })
      continue
    }
    let placed = index.place(job.clusterId, job.gpuType, job.gpuCount)
    let backfilled = false
    if (placed === null && job.timeLimitMin != null) {
      placed = index.backfill(job.clusterId, job.gpuType, job.gpuCount, snapshot.at + job.timeLimitMin * 60_000)
      backfilled = placed !== null
    }
    if (placed !== null) {
      if (t !== undefined) used.set(t.id, (used.get(t.id) ?? 0) + job.gpuCount)
      starts.push({
        jobId: job.id,
        expect,
        nodeId: placed.nodeId,
        gpus: placed.gpus,
        detail: {
          gpu_ids: placed.gpus.map(g => g.gpuId),
          node_ids: [...new Set(placed.gpus.map(g => g.nodeId))],
          waited_ms: snapshot.at - job.submittedAt,
          was: job.pendingReason,
          ...(backfilled && { backfill: 'ends before the reserved job is expected to start' }),
        },
      })
      continue
    }
    const fitsOnline = index.fitsOnline(job.clusterId, job.gpuType, job.gpuCount)
    if (fitsOnline && index.onlyFitsDrained(job.clusterId, job.gpuType, job.gpuCount)) {
      wait({ status: statusForReason('NODE_DRAINED'), pendingReason: 'NODE_DRAINED', blockReason: null })
      continue
    }
    const reason: PendingReason = index.fitsWithReserved(job.clusterId, job.gpuType, job.gpuCount) ? 'PRIORITY'
      : !fitsOnline ? 'NODE_OFFLINE'
        : index.fitsIfReporting(job.clusterId, job.gpuType, job.gpuCount) ? 'NODE_NOT_REPORTING' : 'CAPACITY'
    const held = index.reserve(job.clusterId, job.gpuType, job.gpuCount)
    if (held !== null && reservations.length < MAX_LISTED) {
      reservations.push({
        job_id: job.id,
        node_ids: held.nodeIds,
        expected_start: held.expectedStart === null ? null : new Date(held.expectedStart).toISOString(),
      })
    }
    if (t !== undefined) used.set(t.id, (used.get(t.id) ?? 0) + job.gpuCount)
    wait({ status: statusForReason(reason), pendingReason: reason, blockReason: null })
  }

  return {
    starts,
    changes,
    processed: snapshot.jobs.length,
    blocked,
    detail: {
      waiting,
      free_gpus_before: freeBefore,
      free_gpus_after: index.freeGpus(),
      reserved_nodes: index.reservedNodes(),
      reservations,
      started: starts.slice(0, MAX_LISTED).map(s => ({ job_id: s.jobId, ...s.detail })),
      changed: changes.slice(0, MAX_LISTED).map(c => ({
        job_id: c.jobId, status: c.status, pending_reason: c.pendingReason, block_reason: c.blockReason, was: c.expect.pendingReason,
      })),
      truncated: { started: Math.max(0, starts.length - MAX_LISTED), changed: Math.max(0, changes.length - MAX_LISTED) },
    },
  }
}
