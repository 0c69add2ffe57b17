import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { WaitVerdict } from '../../../control-plane/store/job-repository.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { addCluster, refreshReadings } from '../scheduling/fleet-fixture.ts'
import { jobInput } from './tenants-suite.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
const QUEUED: WaitVerdict = { status: 'queued', pendingReason: 'CAPACITY', blockReason: null }
const HOUR = 3_600_000

/**
 * Node lifecycle on every engine: a lost node's jobs (NODE_FAIL or requeue), drain and resume
 * in the scheduling cycle, node deletion, and alert silences. Each subtest gets a fresh store.
 */
export function nodeLifecycleSuite (t: Test, openStore: () => Promise<Store>): void {
  const fresh = async (t: Test): Promise<Store> => {
    const store = await openStore()
    t.teardown(() => store.close())
    return store
  }
  const submit = async (store: Store, clusterId: number, extra = {}, tenantId: number | null = null) => {
    const r = await store.jobs.submit(jobInput(clusterId, tenantId, extra), T0, () => QUEUED)
    if (!r.ok) throw new Error(r.reason)
    return r.job
  }
  const cycle = (store: Store, at: number) => store.jobs.runCycle(at, 'test', { freshSince: at - 60_000 }, planCycle)

  t.test('a lost node: its running jobs release their GPUs (metering stops) and fail NODE_FAIL, or requeue', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 2 }, { gpus: 2 }], T0)
    const tenant = (await store.tenants.create({ name: 'a', gpuQuota: 8 }, T0))!
    const failing = await submit(store, c.clusterId, { gpuCount: 2 }, tenant.id)
    const requeued = await submit(store, c.clusterId, { gpuCount: 1, requeue: true }, tenant.id)
    t.equal(requeued.requeue, true, 'requeue is stored with the job')
    t.equal(failing.requeue, false)
    await cycle(store, T0 + 1)
    const nodeOf = async (id: number) => (await store.jobs.gpusOf(id))[0]?.nodeId
    t.equal(await nodeOf(failing.id), c.nodes[0]!.id, 'the 2-GPU job fills the first node (best fit)')
    t.equal(await nodeOf(requeued.id), c.nodes[1]!.id)

    // Both are heard from at +60 s, then only the second (+100 s): the first goes offline at +150 s.
    await refreshReadings(store, T0 + 60_000)
    await store.fleet.recordActivity({ seen: [{ nodeId: c.nodes[1]!.id, at: T0 + 100_000, via: 'test' }], readings: [] })
    await store.fleet.markStaleNodesOffline(T0 + 60_001, T0 + 150_001)
    t.equal((await store.fleet.getNode(c.nodes[0]!.id))?.status, 'offline')
    t.equal((await store.fleet.getNode(c.nodes[1]!.id))?.status, 'online')
    t.same(await store.jobs.failLostNodeJobs(T0 + 60_000, T0 + 150_001), [], 'offline, but not silent past the grace yet: nothing lost')

    const at = T0 + 60_000 + 90_000 + 120_000 + 1
    const lost = await store.jobs.failLostNodeJobs(at - 90_000 - 120_000, at)
    t.same(lost.map(l => [l.job.id, l.requeued, l.nodeIds]), [[failing.id, false, [c.nodes[0]!.id]]], 'the job on the lost node only')
    t.match(await store.jobs.get(failing.id), { status: 'failed', endReason: 'NODE_FAIL', endedAt: at, pendingReason: null })
    t.ok((await store.jobs.gpusOf(failing.id)).every(g => g.releasedAt === at), 'its GPU intervals close at the loss')
    t.match(await store.jobs.get(requeued.id), { status: 'running' }, 'a job on a live node keeps running')
    const ended = (await store.jobs.eventsOf(failing.id, 20)).filter(e => e.kind === 'ended')
    t.match(ended, [{ at, detail: { status: 'failed', reason: 'NODE_FAIL' } }])

    // Metering: the lost job's GPU-seconds stop at the loss, whatever time it is now.
    const metered = await store.billing.meterIntervals({ from: T0, to: T0 + 10 * HOUR, now: T0 + 10 * HOUR, tenantId: tenant.id })
    const secondsOf = (jobId: number) => metered.filter(m => m.jobId === jobId).reduce((s, m) => s + (m.end - m.start), 0) / 1000
    t.equal(secondsOf(failing.id), 2 * (at - T0 - 1) / 1000, 'billed up to the loss, not until now')
    t.same(await store.jobs.failLostNodeJobs(at - 210_000, at + 1), [], 'each job is lost once')

    // The second node dies too: its job was submitted with requeue.
    await store.fleet.markStaleNodesOffline(T0 + 100_000 + 1, T0 + 200_000)
    const later = T0 + 100_000 + 210_001
    const again = await store.jobs.failLostNodeJobs(later - 210_000, later)
    t.same(again.map(l => [l.job.id, l.requeued]), [[requeued.id, true]])
    t.match(await store.jobs.get(requeued.id), { status: 'queued', pendingReason: 'CAPACITY', startedAt: null, nodeId: null, endReason: null, endedAt: null })
    t.ok((await store.jobs.gpusOf(requeued.id)).every(g => g.releasedAt === later))
    t.match((await store.jobs.eventsOf(requeued.id, 20)).map(e => e.kind), ['submitted', 'gpu_assigned', 'started', 'gpu_released', 'requeued'])

    // Its node comes back: the requeued job starts again, on the very GPU it held before.
    const back = later + 1000
    const gpus = await store.jobs.gpusOf(requeued.id)
    await store.fleet.recordActivity({ seen: [{ nodeId: c.nodes[1]!.id, at: back, via: 'test' }], readings: c.nodes[1]!.gpuIds.map(id => ({ gpuId: id, at: back, status: 'idle' as const, utilizationPct: 0, memoryUsedMb: 0, memoryTotalMb: 81920, temperatureC: 40, powerDrawW: 90 })) })
    await cycle(store, back + 1)
    t.match(await store.jobs.get(requeued.id), { status: 'running', startedAt: back + 1, nodeId: c.nodes[1]!.id })
    const now = await store.jobs.gpusOf(requeued.id)
    t.same(now.map(g => [g.gpuId, g.assignedAt, g.releasedAt]), [[gpus[0]!.gpuId, T0 + 1, later], [gpus[0]!.gpuId, back + 1, null]], 'both holds of the same GPU are kept')
  })

  t.test('drain: nothing is placed on a drained node; a job that fits only there waits NODE_DRAINED; resume places it', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 4 }, { gpus: 2 }], T0)
    const big = c.nodes[0]!.id
    const drained = await store.fleet.setDrained(big, true, T0 + 1)
    t.match(drained, { id: big, drainedAt: T0 + 1 })
    t.match(await store.fleet.setDrained(big, true, T0 + 2), { drainedAt: T0 + 1 }, 'a second drain keeps the first time')
    t.equal(await store.fleet.setDrained(999, true, T0), null)
    const four = await submit(store, c.clusterId, { gpuCount: 4 })
    const one = await submit(store, c.clusterId, { gpuCount: 1 })
    const two = await submit(store, c.clusterId, { gpuCount: 2 })
    await cycle(store, T0 + 10)
    t.match(await store.jobs.get(four.id), { status: 'queued', pendingReason: 'NODE_DRAINED' })
    t.match(await store.jobs.get(one.id), { status: 'running', nodeId: c.nodes[1]!.id }, 'small jobs go to the undrained node')
    t.match(await store.jobs.get(two.id), { status: 'queued', pendingReason: 'CAPACITY' }, 'not the free GPUs of the drained node')
    t.ok((await store.jobs.gpusOf(one.id)).every(g => g.nodeId !== big))

    t.match(await store.fleet.setDrained(big, false, T0 + 20), { drainedAt: null })
    t.match(await store.fleet.setDrained(big, false, T0 + 21), { drainedAt: null }, 'resume is idempotent')
    const events = (await store.fleet.listNodeEvents({ nodeId: big })).filter(e => e.kind === 'drained' || e.kind === 'resumed')
    t.same(events.map(e => [e.kind, e.at]).sort((a, b) => Number(a[1]) - Number(b[1])), [['drained', T0 + 1], ['resumed', T0 + 20]],
      'one event per change of state, none for a repeat')
    await refreshReadings(store, T0 + 30)
    await cycle(store, T0 + 30)
    t.match(await store.jobs.get(four.id), { status: 'running', nodeId: big }, 'resumed: the job it waited for starts there')
  })

  t.test('deleteNode: refused while a running job holds its GPUs; then node, GPUs and events go, usage stays', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 2 }, { gpus: 1 }], T0)
    const nodeId = c.nodes[0]!.id
    const job = await submit(store, c.clusterId, { gpuCount: 2 })
    await cycle(store, T0 + 1)
    t.same(await store.fleet.deleteNode(nodeId), { deleted: false, runningJobIds: [job.id] })
    t.ok(await store.fleet.getNode(nodeId), 'nothing written')
    t.equal((await store.fleet.listGpus({ nodeId })).length, 2)

    await store.jobs.applyChange(job.id, { status: 'running', pendingReason: null }, { kind: 'end', status: 'completed', by: null }, T0 + HOUR)
    const r = await store.fleet.deleteNode(nodeId)
    t.match(r, { deleted: true, node: { id: nodeId }, gpuIds: c.nodes[0]!.gpuIds })
    t.equal(await store.fleet.getNode(nodeId), null)
    t.same(await store.fleet.listGpus({ nodeId }), [])
    t.same(await store.fleet.listNodeEvents({ nodeId }), [])
    t.equal((await store.fleet.listNodes()).length, 1, 'the other node stays')
    t.match(await store.jobs.get(job.id), { status: 'completed', nodeId: null }, 'the ended job forgets the node')
    const metered = await store.billing.meterIntervals({ from: T0, to: T0 + 2 * HOUR, now: T0 + 2 * HOUR })
    t.equal(metered.filter(m => m.jobId === job.id).length, 2, 'its usage is still metered (billable)')
    t.equal(await store.fleet.deleteNode(nodeId), null, 'gone: null')
    // The freed ids are never confused with new GPUs: a new node registers fine.
    const again = await addCluster(store, 'd', [{ gpus: 2 }], T0 + 2 * HOUR)
    t.equal(again.nodes[0]!.gpuIds.length, 2)
  })

  t.test('alert silence: no webhook for the subject until then, a re-fire inherits it; resolveSubjects resolves across rules', async t => {
    const store = await fresh(t)
    const url = 'http://127.0.0.1:9/h'
    await store.alerts.updateRule(3, { webhookUrl: url }, T0)
    await store.alerts.updateRule(2, { webhookUrl: url }, T0)
    const node = { type: 'node' as const, id: 7, name: 'gpu-07' }
    const breach = { subject: node, tenantId: null, message: 'node gpu-07 is offline' }
    const evalAt = (at: number, breaches = [breach]) => store.alerts.applyEvaluation({ ruleId: 3, at, threshold: 85, breaches, unknown: [] })

    const first = await evalAt(T0 + 1)
    const event = first.fired[0]!
    t.equal(event.silencedUntil, null)
    t.equal(await store.alerts.silenceEvent(999, T0 + HOUR), null)
    t.match(await store.alerts.silenceEvent(event.id, T0 + HOUR), { id: event.id, silencedUntil: T0 + HOUR })
    await evalAt(T0 + 2, [])
    await evalAt(T0 + 3)
    const deliveries = await store.alerts.listDeliveries()
    t.same(deliveries.map(d => [d.eventId, d.kind]), [[event.id, 'fired']], 'silenced: neither the resolve nor the re-fire is sent')
    const events = await store.alerts.listEvents({ limit: 10 })
    t.match(events[0], { resolvedAt: null, silencedUntil: T0 + HOUR }, 'the re-fired event inherits the silence')
    t.equal(events.length, 2)

    await evalAt(T0 + HOUR + 1, [])
    await evalAt(T0 + HOUR + 2)
    t.same((await store.alerts.listDeliveries()).slice(1).map(d => d.kind), ['resolved', 'fired'], 'after the silence: resolution and re-fire are sent again')

    // A tenant event of another rule stays; the node's events of every rule resolve.
    await store.alerts.applyEvaluation({ ruleId: 2, at: T0 + HOUR + 3, threshold: 90, breaches: [{ subject: { type: 'tenant', id: 1, name: 'a' }, tenantId: 1, message: 'm' }], unknown: [] })
    const resolved = await store.alerts.resolveSubjects([{ type: 'node', id: 7 }, { type: 'gpu', id: 70 }], T0 + 2 * HOUR)
    t.equal(resolved.length, 1)
    t.match(resolved[0], { subject: { type: 'node', id: 7 }, resolvedAt: T0 + 2 * HOUR })
    t.same((await store.alerts.listEvents({ limit: 10 })).filter(e => e.resolvedAt === null).map(e => e.subject.type), ['tenant'])
    t.same((await store.alerts.listDeliveries({ eventId: resolved[0]!.id })).map(d => d.kind), ['fired', 'resolved'], 'the resolution is queued to the rule\'s webhook')
    t.same(await store.alerts.resolveSubjects([], T0), [])
  })
}
