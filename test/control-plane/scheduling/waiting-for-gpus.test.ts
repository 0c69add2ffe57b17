import t from 'tap'
import { waitingForGpus, wantsGpu } from '../../../control-plane/scheduling/waiting-for-gpus.ts'
import type { CyclePlan, SchedulerSnapshot, WaitingJob } from '../../../control-plane/store/job-repository.ts'

const job = (id: number, clusterId: number, gpuType: string | null, extra: Partial<WaitingJob> = {}): WaitingJob => ({
  id, clusterId, tenantId: null, gpuCount: 1, gpuType, priority: 5, status: 'queued', pendingReason: 'CAPACITY', blockReason: null, submittedAt: 0, ...extra,
})

t.test('what a cycle left waiting for GPUs: not the started, not those a limit holds back, per cluster and gpu_type', async t => {
  const snapshot: SchedulerSnapshot = {
    at: 0,
    inventory: [],
    free: [],
    tenants: [],
    jobs: [
      job(1, 1, 'A100'),
      job(2, 1, null),
      job(3, 2, ' h100 '),
      job(4, 3, null, { status: 'blocked', pendingReason: 'QUOTA' }),
      job(5, 4, null, { status: 'blocked', pendingReason: 'QUOTA' }),
      job(6, 5, null, { status: 'blocked', pendingReason: 'OPERATOR_HOLD' }),
    ],
  }
  const plan: CyclePlan = {
    starts: [{ jobId: 2, expect: { status: 'queued', pendingReason: 'CAPACITY' }, nodeId: 1, gpus: [], detail: {} }],
    changes: [
      { jobId: 3, expect: { status: 'queued', pendingReason: 'CAPACITY' }, status: 'blocked', pendingReason: 'QUOTA', blockReason: 'q' },
      { jobId: 5, expect: { status: 'blocked', pendingReason: 'QUOTA' }, status: 'queued', pendingReason: 'PRIORITY', blockReason: null },
    ],
    processed: 6,
    blocked: 2,
    detail: {},
  }
  const w = waitingForGpus(snapshot, plan)
  t.same([...w].map(([c, keys]) => [c, [...keys]]), [[1, ['A100']], [4, ['']]])
  t.ok(wantsGpu(w, 1, 'NVIDIA A100-SXM4-80GB'))
  t.notOk(wantsGpu(w, 1, 'NVIDIA H100 80GB HBM3'), 'another model')
  t.notOk(wantsGpu(w, 1, null), 'a GPU of unknown model is no A100')
  t.ok(wantsGpu(w, 4, null), 'any GPU')
  t.notOk(wantsGpu(w, 2, 'NVIDIA H100 80GB HBM3'), 'blocked by this cycle')
  t.notOk(wantsGpu(w, 3, 'NVIDIA H100 80GB HBM3'), 'still blocked')
  t.notOk(wantsGpu(w, 9, 'NVIDIA H100 80GB HBM3'), 'no job there')
})
