import t from 'tap'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import type { RunningEnd, SchedulerSnapshot, WaitingJob } from '../../../control-plane/store/job-repository.ts'
import { schedulingHarness, T0 } from './scheduling-harness.ts'

const AT = Date.UTC(2026, 4, 9, 12, 0, 0)
const MIN = 60_000
const MODEL = 'NVIDIA H100 80GB HBM3'

/**
 * Nodes of `sizes` GPUs (ids 1…, cluster 1); `busy[node]` GPUs on each node are held by
 * running jobs described by `ends` (the snapshot's expected ends), the rest are free.
 */
function snap (sizes: number[], held: number[], jobs: WaitingJob[], ends: RunningEnd[] | undefined): SchedulerSnapshot {
  let gpuId = 0
  const free: SchedulerSnapshot['free'] = []
  sizes.forEach((size, i) => {
    for (let k = 0; k < size; k++) {
      gpuId++
      if (k >= (held[i] ?? 0)) free.push({ id: gpuId, nodeId: i + 1, clusterId: 1, gpuIndex: k, model: MODEL })
    }
  })
  return {
    at: AT,
    jobs,
    tenants: [],
    inventory: sizes.map((count, i) => ({ nodeId: i + 1, clusterId: 1, nodeOnline: true, model: MODEL, count })),
    free,
    ...(ends === undefined ? {} : { ends }),
  }
}

const job = (id: number, gpuCount: number, priority: number, timeLimitMin: number | null = null): WaitingJob => ({
  id, clusterId: 1, tenantId: null, gpuCount, gpuType: null, priority, status: 'queued', pendingReason: 'CAPACITY',
  blockReason: null, submittedAt: AT - 1000 + id, timeLimitMin,
})

const outcome = (s: SchedulerSnapshot) => {
  const plan = planCycle(s)
  const reservations = plan.detail.reservations as Array<{ job_id: number, node_ids: number[], expected_start: string | null }>
  const out: Record<number, string> = {}
  for (const j of s.jobs) out[j.id] = j.pendingReason ?? ''
  for (const c of plan.changes) out[c.jobId] = c.pendingReason
  for (const st of plan.starts) out[st.jobId] = `started on ${st.nodeId}`
  return { plan, out, reservations }
}

t.test('a job whose time limit ends before the reserved job is expected to start backfills on the reserved node; one that ends later waits', async t => {
  // Node 1: 6 of 8 held by a job with 60 min left. Job 1 (8 GPUs) reserves it, expected in 60 min.
  const ends = [{ nodeId: 1, model: MODEL, gpus: 6, at: AT + 60 * MIN }]
  const jobs = [job(1, 8, 1), job(2, 1, 5, 30), job(3, 1, 5, 61), job(4, 1, 5), job(5, 1, 5, 60)]
  const { plan, out, reservations } = outcome(snap([8], [6], jobs, ends))
  t.same(out, { 1: 'CAPACITY', 2: 'started on 1', 3: 'PRIORITY', 4: 'PRIORITY', 5: 'started on 1' },
    '30 min and exactly 60 min fit before the expected start; 61 min and no limit do not')
  t.same(reservations, [{ job_id: 1, node_ids: [1], expected_start: new Date(AT + 60 * MIN).toISOString() }])
  t.match(plan.starts[0]?.detail, { backfill: 'ends before the reserved job is expected to start' })
  t.equal(plan.detail.free_gpus_after, 0)
})

t.test('estimated_duration_min feeds the expected start when a running job has no time limit', async t => {
  // The store folds time_limit_min, else estimated_duration_min, into `at` (running-ends.ts).
  const ends = [{ nodeId: 1, model: MODEL, gpus: 3, at: AT + 20 * MIN }, { nodeId: 1, model: MODEL, gpus: 3, at: AT + 90 * MIN }]
  const { out, reservations } = outcome(snap([8], [6], [job(1, 5, 1), job(2, 2, 5, 20), job(3, 1, 5, 21)], ends))
  t.same(out, { 1: 'CAPACITY', 2: 'started on 1', 3: 'CAPACITY' }, 'job 1 needs 5: the 2 free plus the first 3 to end, at +20 min; job 2 took both free GPUs')
  t.equal(reservations[0]?.expected_start, new Date(AT + 20 * MIN).toISOString())
})

t.test('an unknown end (no limit, no estimate), a missing snapshot of ends, or an overrun estimate lets nothing backfill', async t => {
  const unknown = outcome(snap([8], [6], [job(1, 8, 1), job(2, 1, 5, 1)], [{ nodeId: 1, model: MODEL, gpus: 6, at: null }]))
  t.same(unknown.out, { 1: 'CAPACITY', 2: 'PRIORITY' })
  t.same(unknown.reservations, [{ job_id: 1, node_ids: [1], expected_start: null }])
  const absent = outcome(snap([8], [6], [job(1, 8, 1), job(2, 1, 5, 1)], undefined))
  t.same(absent.out, { 1: 'CAPACITY', 2: 'PRIORITY' })
  // An estimate already passed: the job may end any moment, so the reserved one may start now.
  const overrun = outcome(snap([8], [6], [job(1, 8, 1), job(2, 1, 5, 1)], [{ nodeId: 1, model: MODEL, gpus: 6, at: AT - 5 * MIN }]))
  t.same(overrun.out, { 1: 'CAPACITY', 2: 'PRIORITY' })
  t.equal(overrun.reservations[0]?.expected_start, new Date(AT).toISOString())
  // Busy GPUs no job holds never free by any end we know.
  const busy = outcome(snap([8], [6], [job(1, 8, 1), job(2, 1, 5, 1)], [{ nodeId: 1, model: MODEL, gpus: 4, at: AT + 60 * MIN }]))
  t.same(busy.out, { 1: 'CAPACITY', 2: 'PRIORITY' })
})

t.test('a multi-node reservation expects its job when enough GPUs over its nodes have ended; backfill takes one node of it', async t => {
  // Nodes of 4: node 1 has 3 held (ends +10), node 2 has 2 held (ends +40). Job 1 wants 8 → both.
  const ends = [{ nodeId: 1, model: MODEL, gpus: 3, at: AT + 10 * MIN }, { nodeId: 2, model: MODEL, gpus: 2, at: AT + 40 * MIN }]
  const { out, reservations } = outcome(snap([4, 4], [3, 2], [job(1, 8, 1), job(2, 2, 5, 40), job(3, 1, 5, 41)], ends))
  t.same(reservations, [{ job_id: 1, node_ids: [2, 1], expected_start: new Date(AT + 40 * MIN).toISOString() }])
  t.same(out, { 1: 'CAPACITY', 2: 'started on 2', 3: 'PRIORITY' }, 'best fit: the reserved node with 2 free')
})

t.test('a job larger than one node never backfills by time', async t => {
  const ends = [1, 2, 3].map(nodeId => ({ nodeId, model: MODEL, gpus: 1, at: AT + 60 * MIN }))
  // Job 1 reserves nodes 1-3 (9 free); job 2 (5 GPUs, 1 min) could only span them.
  const { out } = outcome(snap([4, 4, 4], [1, 1, 1], [job(1, 12, 1), job(2, 5, 5, 1)], ends))
  t.same(out, { 1: 'CAPACITY', 2: 'PRIORITY' })
})

t.test('through the store: a short job backfills a reserved node, ends at its limit, and the reserved job starts on time', async t => {
  const h = await schedulingHarness(t)
  await h.settle()
  const c = await h.cluster('c', [{ gpus: 4 }])
  const running = (await h.submit({ cluster_id: c.clusterId, name: 'running', gpu_count: 2, time_limit_min: 60 })).body.id as number
  await h.settle()
  t.equal((await h.job(running)).status, 'running')
  const big = (await h.submit({ cluster_id: c.clusterId, name: 'big', gpu_count: 4, priority: 1 })).body.id as number
  const short = (await h.submit({ cluster_id: c.clusterId, name: 'short', priority: 9, time_limit_min: 30 })).body.id as number
  const long = (await h.submit({ cluster_id: c.clusterId, name: 'long', priority: 9, time_limit_min: 120 })).body.id as number
  const open = (await h.submit({ cluster_id: c.clusterId, name: 'open', priority: 9, estimated_duration_min: 5 })).body.id as number
  await h.settle()
  t.match(await h.job(big), { status: 'queued', pending_reason: 'CAPACITY' })
  t.match(await h.job(short), { status: 'running' }, 'its 30 min end before the reserved job can start (+60 min)')
  t.match(await h.job(long), { status: 'queued', pending_reason: 'PRIORITY' })
  t.match(await h.job(open), { status: 'queued', pending_reason: 'PRIORITY' }, 'an estimate is no promise: only a time limit backfills')
  const cycles = (await h.req('GET', '/api/scheduler/logs?limit=1')).body
  t.match(JSON.stringify(cycles), /"expected_start":"2026-/, 'the cycle lists the reservation and when its job is expected')

  // Readings keep coming; the short job times out at +30 min, the running one at +60 min.
  for (let m = 1; m <= 61; m++) {
    await h.clock.advance(MIN)
    await h.refresh()
    await h.idle()
  }
  t.match(await h.job(short), { status: 'failed', end_reason: 'TIMEOUT' })
  t.match(await h.job(running), { status: 'failed', end_reason: 'TIMEOUT' })
  const started = await h.job(big)
  t.equal(started.status, 'running', 'the reserved job started')
  t.ok(Date.parse(started.started_at) <= T0 + 61 * MIN, 'no later than the running job\'s limit (+ a cycle)')
  t.same(h.checker.violations, [])
})
