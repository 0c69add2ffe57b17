import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { judgeProcesses } from '../../../control-plane/fleet/judge-processes.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import type { GpuProcess } from '../../../shared/wire/job-execution.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { jobInput } from '../store/tenants-suite.ts'
import { freshStore, type StoreFactory } from '../store/fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
export const uuid = (i: number): string => `GPU-0000000${i}-1111-2222-3333-444444444444`

/**
 * One node with four GPUs (UUIDs uuid(0..3)); job A (allocation-only, tenant a) and job B
 * (executed: it carries a command, the agent maps processes to it) running on one GPU each; two GPUs free.
 */
export async function twoRunningJobs (store: Store, at = T0) {
  const c = await addCluster(store, 'c', [{ gpus: 4 }], at)
  const node = c.nodes[0]!
  await store.fleet.registerGpus(node.id, [0, 1, 2, 3].map(i => ({ gpuIndex: i, uuid: uuid(i) })), at)
  const tenant = (await store.tenants.create({ name: 'a', gpuQuota: 4 }, at))!
  const submit = async (tenantId: number | null, command: string[] | null) => {
    const r = await store.jobs.submit(jobInput(c.clusterId, tenantId, { command }), at, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
    if (!r.ok) throw new Error(r.reason)
    return r.job.id
  }
  const a = await submit(tenant.id, null)
  const b = await submit(null, ['python3', 'train.py'])
  await store.jobs.runCycle(at + 1, 'test', { freshSince: at - 60_000 }, planCycle)
  const gpuOf = async (jobId: number) => {
    const [g] = await store.jobs.gpusOf(jobId)
    if (g === undefined) throw new Error(`job ${jobId} did not start`)
    return g
  }
  const [ga, gb] = [await gpuOf(a), await gpuOf(b)]
  const free = [0, 1, 2, 3].filter(i => i !== ga.gpuIndex && i !== gb.gpuIndex)
  const started = (await store.jobs.get(b))!.startedAt!
  return { node, tenantId: tenant.id, a, b, runB: started, ga, gb, uuidA: uuid(ga.gpuIndex), uuidB: uuid(gb.gpuIndex), free: free.map(uuid), freeIndex: free }
}

const proc = (gpuUuid: string, pid: number, job: { id: number, run: number } | null = null, mem: number | null = 100): GpuProcess =>
  ({ gpu_uuid: gpuUuid, pid, process_name: `/bin/p${pid}`, used_memory_mib: mem, job_id: job?.id ?? null, run: job?.run ?? null })

/** The process store and its judgement against allocations, run against every engine. */
export function processesSuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const report = (store: Store, nodeId: number, at: number, processes: GpuProcess[]) =>
    store.processes.replaceNodeProcesses(nodeId, at, holders => judgeProcesses(processes, holders))
  const verdicts = async (store: Store, query = {}) =>
    (await store.processes.list(query)).map(p => [p.pid, p.verdict, p.jobId]).sort((x, y) => Number(x[0]) - Number(y[0]))

  t.test('judged against allocations: allocation-only job, executed job, unallocated, outside allocation', async t => {
    const store = await fresh(t)
    const f = await twoRunningJobs(store)
    const B = { id: f.b, run: f.runB }
    await report(store, f.node.id, T0 + 10, [
      proc(f.uuidA, 1), // anything on an allocation-only job's GPU is that job's
      proc(f.uuidB, 2, B), // the executed job's own process, current run
      proc(f.uuidB, 3), // a stranger on the executed job's GPU
      proc(f.free[0]!, 4), // nobody's process on a free GPU
      proc(f.free[1]!, 5, B), // B's process on a GPU outside B's allocation
      proc(f.uuidA, 6, B), // B's process on A's GPU
      proc(f.uuidB, 7, { id: f.b, run: f.runB - 1000 }), // an earlier run's leftover
      proc('GPU-ffffffff-1111-2222-3333-444444444444', 8), // a GPU the fleet does not know
    ])
    t.same(await verdicts(store), [
      [1, 'attributed', f.a], [2, 'attributed', f.b], [3, 'outside_allocation', f.b], [4, 'unallocated', null],
      [5, 'outside_allocation', f.b], [6, 'outside_allocation', f.b], [7, 'outside_allocation', f.b], [8, 'unallocated', null],
    ])
    const [one] = await store.processes.list({ jobId: f.a })
    t.match(one, {
      nodeId: f.node.id, hostname: String, clusterId: Number, gpuUuid: f.uuidA, gpuId: f.ga.gpuId, gpuIndex: f.ga.gpuIndex, pid: 1,
      processName: '/bin/p1', usedMemoryMib: 100, reportedJobId: null, reportedRun: null, jobId: f.a, tenantId: f.tenantId,
      verdict: 'attributed', seenAt: T0 + 10, flaggedSince: null, reportedAt: T0 + 10,
    })
    t.same((await store.processes.list({ jobId: f.b })).map(p => p.pid).sort(), [2, 3, 5, 6, 7], 'B sees its processes and the stranger on its GPU')
    t.same((await store.processes.list({ flagged: true })).map(p => p.pid).sort(), [3, 4, 5, 6, 7, 8])
    t.same((await store.processes.list({ tenantId: f.tenantId })).map(p => p.pid), [1], 'by the job\'s tenant')
  })

  t.test('an executed job is judged by its command, not by this report: a stranger on its GPU is flagged when nothing is mapped to it', async t => {
    const store = await fresh(t)
    const f = await twoRunningJobs(store)
    await report(store, f.node.id, T0 + 10, [proc(f.uuidA, 1), proc(f.uuidB, 3)])
    t.same(await verdicts(store), [[1, 'attributed', f.a], [3, 'outside_allocation', f.b]])
  })

  t.test('a node\'s set is replaced; seen_at and flagged_since survive while a process stays; a job ending flags its processes', async t => {
    const store = await fresh(t)
    const f = await twoRunningJobs(store)
    await report(store, f.node.id, T0 + 10, [proc(f.uuidA, 1), proc(f.free[0]!, 4)])
    await report(store, f.node.id, T0 + 40, [proc(f.uuidA, 1, null, 500), proc(f.free[0]!, 4), proc(f.free[1]!, 9)])
    const byPid = async () => new Map((await store.processes.list()).map(p => [p.pid, p]))
    let now = await byPid()
    t.match(now.get(1), { seenAt: T0 + 10, usedMemoryMib: 500, flaggedSince: null, reportedAt: T0 + 40 })
    t.match(now.get(4), { seenAt: T0 + 10, flaggedSince: T0 + 10 })
    t.match(now.get(9), { seenAt: T0 + 40, flaggedSince: T0 + 40 })

    const ended = await store.jobs.applyChange(f.a, { status: 'running', pendingReason: null }, { kind: 'end', status: 'completed', by: null }, T0 + 50)
    t.match(ended, { status: 'completed' })
    await report(store, f.node.id, T0 + 70, [proc(f.uuidA, 1), proc(f.free[1]!, 9)])
    now = await byPid()
    t.same([...now.keys()].sort(), [1, 9], 'pid 4 is gone')
    t.match(now.get(1), { verdict: 'unallocated', jobId: null, seenAt: T0 + 10, flaggedSince: T0 + 70 }, 'its job ended: flagged from this report on')
    t.match(now.get(9), { flaggedSince: T0 + 40 })

    await report(store, f.node.id, T0 + 100, [])
    t.same(await store.processes.list(), [], 'an empty report empties the set')
  })

  t.test('stale reports: a node silent since before freshSince counts nowhere', async t => {
    const store = await fresh(t)
    const f = await twoRunningJobs(store)
    await report(store, f.node.id, T0 + 10, [proc(f.free[0]!, 4)])
    t.equal((await store.processes.list({ freshSince: T0 + 10, flagged: true })).length, 1)
    t.same(await store.processes.list({ freshSince: T0 + 11 }), [])
    t.same(await store.processes.list({ jobId: f.a, freshSince: 0 }), [])
  })
}
