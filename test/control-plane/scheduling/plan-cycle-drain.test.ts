import t from 'tap'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import type { FreeGpu, InventoryRow, SchedulerSnapshot, WaitingJob } from '../../../control-plane/store/job-repository.ts'

const AT = Date.UTC(2026, 4, 9, 12, 0, 0)
const MODEL = 'NVIDIA H100 80GB HBM3'

const job = (id: number, gpuCount: number): WaitingJob => ({
  id, clusterId: 1, tenantId: null, gpuCount, gpuType: null, priority: 5, status: 'queued', pendingReason: 'CAPACITY', blockReason: null, submittedAt: AT - 1000 + id,
})

/** Node 1: 8 GPUs, node 2: 4 GPUs, all free; node 1 drained when asked. */
function snapshot (jobs: WaitingJob[], drained: boolean): SchedulerSnapshot {
  const inventory: InventoryRow[] = [
    { nodeId: 1, clusterId: 1, nodeOnline: true, nodeDrained: drained, model: MODEL, count: 8 },
    { nodeId: 2, clusterId: 1, nodeOnline: true, model: MODEL, count: 4 },
  ]
  const free: FreeGpu[] = []
  let id = 0
  for (const [nodeId, n] of [[1, 8], [2, 4]] as const) for (let i = 0; i < n; i++) free.push({ id: ++id, nodeId, clusterId: 1, gpuIndex: i, model: MODEL })
  return { at: AT, jobs, tenants: [], inventory, free }
}

t.test('a drained node takes no job and is not reserved; a job that fits only there waits NODE_DRAINED (queued)', async t => {
  const jobs = [job(1, 8), job(2, 2), job(3, 1), job(4, 12)]
  const p = planCycle(snapshot(jobs, true))
  t.same(p.starts.map(s => [s.jobId, s.nodeId]), [[2, 2], [3, 2]], 'only the undrained node is used, even with 8 free GPUs on the drained one')
  t.same(p.changes.map(c => [c.jobId, c.status, c.pendingReason]), [[1, 'queued', 'NODE_DRAINED'], [4, 'queued', 'NODE_DRAINED']])
  t.equal(p.detail.reserved_nodes, 0, 'nothing to reserve: the drained node is out of placement')

  const undrained = planCycle(snapshot(jobs, false))
  t.same(undrained.starts.map(s => [s.jobId, s.nodeId]), [[1, 1], [2, 2], [3, 2]], 'resumed: the 8-GPU job gets node 1')
})
