import { planCycle, type CyclePolicy } from '../../../control-plane/scheduling/plan-cycle.ts'
import type { CyclePlan, PendingReason, SchedulerSnapshot, WaitingJob } from '../../../control-plane/store/job-repository.ts'

export const SIM_T0 = Date.UTC(2026, 4, 9, 12, 0, 0)
const MODEL = 'NVIDIA H100 80GB HBM3'

export interface SimJob {
  id: number
  clusterId: number
  tenantId: number | null
  gpuCount: number
  priority: number
  submittedAt: number
  status: 'queued' | 'blocked' | 'running' | 'completed'
  pendingReason: PendingReason | null
  blockReason: string | null
  /** GPU ids while running. */
  gpus: number[]
  nodes: number[]
  startedAt: number | null
  /** Cycle number it started in. */
  startedCycle: number | null
}

export interface SimOptions {
  /** Node sizes, in node id order (ids from 1); all in cluster 1 unless `cluster` says. */
  nodes: Array<{ gpus: number, cluster?: number }>
  tenants?: Array<{ id: number, gpuQuota: number }>
  policy?: CyclePolicy
}

/**
 * A fleet, a queue and a clock in memory, driven by planCycle exactly as the store drives it:
 * the snapshot lists waiting jobs in the store's order (priority, submitted_at, id), every
 * GPU not held by a running job is free (fresh idle readings), and a plan's starts and reason
 * changes are applied as runCycle applies them.
 */
export function createPlanSim (opts: SimOptions) {
  let at = SIM_T0
  let cycles = 0
  let seq = 0
  const jobs = new Map<number, SimJob>()
  const gpuNode = new Map<number, number>()
  const gpuCluster = new Map<number, number>()
  const gpuIndex = new Map<number, number>()
  const holder = new Map<number, number>()
  const inventory = opts.nodes.map((n, i) => ({ nodeId: i + 1, clusterId: n.cluster ?? 1, nodeOnline: true, model: MODEL, count: n.gpus }))
  let gpuSeq = 0
  for (const row of inventory) {
    for (let k = 0; k < row.count; k++) {
      gpuSeq++
      gpuNode.set(gpuSeq, row.nodeId)
      gpuCluster.set(gpuSeq, row.clusterId)
      gpuIndex.set(gpuSeq, k)
    }
  }
  const tenants = opts.tenants ?? []

  const held = (tenantId: number): number => {
    let n = 0
    for (const j of jobs.values()) if (j.status === 'running' && j.tenantId === tenantId) n += j.gpuCount
    return n
  }

  const snapshot = (): SchedulerSnapshot => {
    const waiting: WaitingJob[] = [...jobs.values()]
      .filter(j => j.status === 'queued' || j.status === 'blocked')
      .sort((a, b) => a.priority - b.priority || a.submittedAt - b.submittedAt || a.id - b.id)
      .map(j => ({
        id: j.id, clusterId: j.clusterId, tenantId: j.tenantId, gpuCount: j.gpuCount, gpuType: null, priority: j.priority,
        status: j.status as 'queued' | 'blocked', pendingReason: j.pendingReason, blockReason: j.blockReason, submittedAt: j.submittedAt,
      }))
    const free = [...gpuNode.keys()].filter(id => !holder.has(id))
      .map(id => ({ id, nodeId: gpuNode.get(id)!, clusterId: gpuCluster.get(id)!, gpuIndex: gpuIndex.get(id)!, model: MODEL }))
    return {
      at,
      jobs: waiting,
      tenants: tenants.map(t => ({ id: t.id, gpuQuota: t.gpuQuota, status: 'active' as const, gpusHeld: held(t.id) })),
      inventory,
      free,
    }
  }

  return {
    jobs,
    now: () => at,
    cycles: () => cycles,
    advance (ms: number) { at += ms },
    submit (o: { gpuCount: number, priority: number, tenantId?: number | null, clusterId?: number }): number {
      const id = ++seq
      jobs.set(id, {
        id, clusterId: o.clusterId ?? 1, tenantId: o.tenantId ?? null, gpuCount: o.gpuCount, priority: o.priority, submittedAt: at,
        status: 'queued', pendingReason: 'CAPACITY', blockReason: null, gpus: [], nodes: [], startedAt: null, startedCycle: null,
      })
      return id
    },
    complete (id: number) {
      const j = jobs.get(id)
      if (j?.status !== 'running') throw new Error(`job ${id} is not running`)
      for (const g of j.gpus) holder.delete(g)
      j.status = 'completed'
      j.gpus = []
    },
    /** Running jobs, oldest start first (then id). */
    running: (): SimJob[] => [...jobs.values()].filter(j => j.status === 'running').sort((a, b) => a.startedAt! - b.startedAt! || a.id - b.id),
    held,
    /** One cycle over the current state; throws if a plan gives a GPU twice. */
    cycle (): CyclePlan {
      cycles++
      const plan = planCycle(snapshot(), opts.policy)
      for (const c of plan.changes) {
        const j = jobs.get(c.jobId)!
        j.status = c.status
        j.pendingReason = c.pendingReason
        j.blockReason = c.blockReason
      }
      for (const s of plan.starts) {
        const j = jobs.get(s.jobId)!
        for (const g of s.gpus) {
          if (holder.has(g.gpuId)) throw new Error(`GPU ${g.gpuId} given to job ${j.id} while job ${holder.get(g.gpuId)} holds it`)
          holder.set(g.gpuId, j.id)
        }
        j.status = 'running'
        j.pendingReason = null
        j.blockReason = null
        j.gpus = s.gpus.map(g => g.gpuId)
        j.nodes = [...new Set(s.gpus.map(g => g.nodeId))]
        j.startedAt = at
        j.startedCycle = cycles
      }
      return plan
    },
  }
}

export type PlanSim = ReturnType<typeof createPlanSim>
