import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import type { CyclePlan, SchedulerSnapshot, WaitVerdict } from '../../../control-plane/store/job-repository.ts'
import { idle } from '../scheduling/fleet-fixture.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { jobInput } from './tenants-suite.ts'
import { freshStore } from './fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
const QUEUED: WaitVerdict = { status: 'queued', pendingReason: 'CAPACITY', blockReason: null }
const plan = planCycle
const emptyPlan = (extra: Partial<CyclePlan> = {}): CyclePlan => ({ starts: [], changes: [], processed: 0, blocked: 0, detail: {}, ...extra })

/**
 * The job repository contract, run against every engine (SQLite now; PostgreSQL calls this
 * with its own factory). Each subtest gets a fresh store.
 */
export function jobsSuite (t: Test, openStore: () => Promise<Store>): void {
  const fresh = freshStore(openStore)
  const submitted = async (store: Store, clusterId: number, tenantId: number | null, extra = {}, verdict = QUEUED) => {
    const r = await store.jobs.submit(jobInput(clusterId, tenantId, extra), T0, () => verdict)
    if (!r.ok) throw new Error(r.reason)
    return r.job
  }

  t.test('submit: the judge sees tenant usage and the cluster\'s models; unknown references write nothing', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 2, model: 'NVIDIA A100' }, { gpus: 3 }, { gpus: 1, model: null }], T0)
    const tenant = (await store.tenants.create({ name: 'a', gpuQuota: 5 }, T0))!
    let seen: unknown
    const evil = "x'); DELETE FROM jobs; --"
    const r = await store.jobs.submit(jobInput(c.clusterId, tenant.id, { name: evil, gpuType: 'H100', kind: 'training', estimatedDurationMin: 30, submittedBy: 'me' }), T0 + 1, ctx => {
      seen = ctx
      return { status: 'blocked', pendingReason: 'QUOTA', blockReason: 'why' }
    })
    t.match(seen, { tenant: { id: tenant.id, gpuQuota: 5, status: 'active', gpusInUse: 0 } })
    t.same((seen as { clusterModels: Array<{ count: number }> }).clusterModels.sort((a, b) => a.count - b.count),
      [{ model: null, count: 1 }, { model: 'NVIDIA A100', count: 2 }, { model: 'NVIDIA H100 80GB HBM3', count: 3 }])
    t.match(r, {
      ok: true,
      job: {
        id: Number, clusterId: c.clusterId, tenantId: tenant.id, name: evil, kind: 'training', gpuCount: 1, gpuType: 'H100', priority: 5,
        status: 'blocked', pendingReason: 'QUOTA', blockReason: 'why', submittedBy: 'me', estimatedDurationMin: 30, submittedAt: T0 + 1,
        startedAt: null, endedAt: null, nodeId: null,
      },
    })
    t.match(await store.jobs.eventsOf(1, 10), [{ kind: 'submitted', at: T0 + 1, detail: { status: 'blocked', pending_reason: 'QUOTA' } }])
    t.same(await store.jobs.submit(jobInput(999, null), T0, () => QUEUED), { ok: false, reason: 'cluster_not_found' })
    t.same(await store.jobs.submit(jobInput(c.clusterId, 999), T0, () => QUEUED), { ok: false, reason: 'tenant_not_found' })
    await t.rejects(store.jobs.submit(jobInput(c.clusterId, null), T0, () => { throw new Error('judge failed') }), /judge failed/)
    t.equal((await store.jobs.list({ limit: 10, offset: 0 })).total, 1, 'only the first was stored')
  })

  t.test('list: filters, newest first, limit/offset with the total', async t => {
    const store = await fresh(t)
    const c1 = await addCluster(store, 'c1', [{ gpus: 1 }], T0)
    const c2 = await addCluster(store, 'c2', [{ gpus: 1 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 5 }, T0))!
    for (let i = 0; i < 5; i++) await submitted(store, i % 2 === 0 ? c1.clusterId : c2.clusterId, i < 3 ? a.id : null, { kind: i === 4 ? 'inference' : 'compute' })
    t.same((await store.jobs.list({ limit: 10, offset: 0 })).jobs.map(j => j.id), [5, 4, 3, 2, 1])
    t.same(await store.jobs.list({ limit: 2, offset: 1 }).then(r => [r.total, r.jobs.map(j => j.id)]), [5, [4, 3]])
    t.same((await store.jobs.list({ clusterId: c1.clusterId, limit: 10, offset: 0 })).jobs.map(j => j.id), [5, 3, 1])
    t.same((await store.jobs.list({ tenantId: a.id, clusterId: c1.clusterId, limit: 10, offset: 0 })).jobs.map(j => j.id), [3, 1])
    t.same((await store.jobs.list({ kind: 'inference', limit: 10, offset: 0 })).jobs.map(j => j.id), [5])
    t.same((await store.jobs.list({ status: 'running', limit: 10, offset: 0 })), { jobs: [], total: 0 })
  })

  t.test('runCycle: starts assign GPUs with events; changes write reasons and blocked/unblocked events; one cycle row', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 2 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 1 }, T0))!
    const j1 = await submitted(store, c.clusterId, null, { gpuCount: 2 })
    const j2 = await submitted(store, c.clusterId, a.id, { gpuCount: 2 })
    const j3 = await submitted(store, c.clusterId, null, { gpuCount: 1 }, { status: 'blocked', pendingReason: 'NEVER_FITS_CLUSTER', blockReason: 'old' })
    const cycle = await store.jobs.runCycle(T0 + 10, 'test', { freshSince: T0 + 10 - 60_000 }, plan)
    t.match(cycle, { id: 1, startedAt: T0 + 10, trigger: 'test', processed: 3, started: 1, blocked: 1, durationMs: Number })
    t.match(await store.jobs.get(j1.id), { status: 'running', startedAt: T0 + 10, nodeId: c.nodes[0]!.id, pendingReason: null })
    t.same((await store.jobs.gpusOf(j1.id)).map(g => [g.gpuId, g.gpuIndex, g.assignedAt, g.releasedAt, g.model]),
      [[c.nodes[0]!.gpuIds[0], 0, T0 + 10, null, 'NVIDIA H100 80GB HBM3'], [c.nodes[0]!.gpuIds[1], 1, T0 + 10, null, 'NVIDIA H100 80GB HBM3']])
    t.same((await store.jobs.eventsOf(j1.id, 10)).map(e => e.kind), ['submitted', 'gpu_assigned', 'gpu_assigned', 'started'])
    t.match(await store.jobs.get(j2.id), { status: 'blocked', pendingReason: 'NEVER_FITS_QUOTA', blockReason: "gpu_count 2 exceeds the tenant's GPU quota of 1" })
    t.match((await store.jobs.eventsOf(j2.id, 10)).map(e => [e.kind, e.detail]), [['submitted', {}], ['blocked', { pending_reason: 'NEVER_FITS_QUOTA' }]])
    t.match(await store.jobs.get(j3.id), { status: 'queued', pendingReason: 'CAPACITY', blockReason: null })
    t.match((await store.jobs.eventsOf(j3.id, 10)).map(e => [e.kind, e.detail]), [['submitted', {}], ['unblocked', { pending_reason: 'CAPACITY', was: 'NEVER_FITS_CLUSTER' }]])
    t.match(await store.jobs.listCycles(5), [{ id: 1, detail: { started: [{ job_id: j1.id }] } }])
  })

  t.test('the snapshot: waiting jobs in order, inventory per node and model, free = online + fresh + idle + not held, tenants\' usage', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 3 }, { gpus: 1, model: 'NVIDIA A100' }, { gpus: 2, online: false }], T0)
    const [n1, n2] = c.nodes
    // GPU 0 of node 1 is busy (active), GPU 1 has a stale reading, GPU 2 is free; node 2's GPU gets held.
    await store.fleet.recordActivity({ seen: [], readings: [idle(n1!.gpuIds[0]!, T0 + 5, 50)] })
    await store.fleet.recordActivity({ seen: [], readings: [idle(n2!.gpuIds[0]!, T0 + 5)] })
    const tenant = (await store.tenants.create({ name: 'a', gpuQuota: 8 }, T0))!
    await submitted(store, c.clusterId, tenant.id, { gpuType: 'A100' })
    await store.jobs.runCycle(T0 + 10, 'start', { freshSince: T0 }, plan)
    await store.fleet.recordActivity({ seen: [], readings: [idle(n1!.gpuIds[2]!, T0 + 20)] })
    const low = await submitted(store, c.clusterId, null, { priority: 9 })
    const high = await submitted(store, c.clusterId, null, { priority: 1 }, { status: 'blocked', pendingReason: 'OPERATOR_HOLD', blockReason: 'x' })
    let seen: SchedulerSnapshot | undefined
    await store.jobs.runCycle(T0 + 30, 'look', { freshSince: T0 + 1 }, s => { seen = s; return emptyPlan() })
    t.same(seen?.jobs.map(j => [j.id, j.status, j.pendingReason]), [[high.id, 'blocked', 'OPERATOR_HOLD'], [low.id, 'queued', 'CAPACITY']])
    t.same(seen?.inventory, [
      { nodeId: n1!.id, clusterId: c.clusterId, nodeOnline: true, model: 'NVIDIA H100 80GB HBM3', count: 3 },
      { nodeId: n2!.id, clusterId: c.clusterId, nodeOnline: true, model: 'NVIDIA A100', count: 1 },
      { nodeId: c.nodes[2]!.id, clusterId: c.clusterId, nodeOnline: false, model: 'NVIDIA H100 80GB HBM3', count: 2 },
    ])
    t.same(seen?.free, [{ id: n1!.gpuIds[2], nodeId: n1!.id, clusterId: c.clusterId, gpuIndex: 2, model: 'NVIDIA H100 80GB HBM3' }],
      'not the busy one, not the stale one, not the held one, not on the offline node')
    t.same(seen?.tenants, [{ id: tenant.id, gpuQuota: 8, status: 'active', gpusHeld: 1 }])
  })

  t.test('the snapshot lists GPUs of online nodes with no fresh reading (not held); a job waiting for them is NODE_NOT_REPORTING', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 3 }, { gpus: 2, online: false }], T0)
    const n1 = c.nodes[0]!
    const first = await submitted(store, c.clusterId, null)
    await store.jobs.runCycle(T0 + 10, 'start', { freshSince: T0 }, plan)
    t.match(await store.jobs.get(first.id), { status: 'running' })
    const waits = await submitted(store, c.clusterId, null, { gpuCount: 2 })
    let seen: SchedulerSnapshot | undefined
    // Over a minute without a reading from node 1, which nothing has marked offline.
    await store.jobs.runCycle(T0 + 61_000, 'silent', { freshSince: T0 + 1000 }, s => { seen = s; return plan(s) })
    t.same(seen?.free, [])
    t.same(seen?.unreported?.map(g => g.id).sort((a, b) => a - b), n1.gpuIds.slice(1), 'not the held one, not those of the offline node')
    t.match(await store.jobs.get(waits.id), { status: 'queued', pendingReason: 'NODE_NOT_REPORTING', blockReason: null })
  })

  t.test('runCycle is all or nothing: a plan that assigns a GPU twice is refused by the database, nothing stays', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 1 }], T0)
    const j1 = await submitted(store, c.clusterId, null)
    const j2 = await submitted(store, c.clusterId, null)
    const gpu = { gpuId: c.nodes[0]!.gpuIds[0]!, nodeId: c.nodes[0]!.id, model: null }
    const expect = { status: 'queued' as const, pendingReason: 'CAPACITY' as const }
    await t.rejects(store.jobs.runCycle(T0, 'bad', { freshSince: T0 - 60_000 }, () => emptyPlan({
      starts: [{ jobId: j1.id, expect, nodeId: gpu.nodeId, gpus: [gpu], detail: {} }, { jobId: j2.id, expect, nodeId: gpu.nodeId, gpus: [gpu], detail: {} }],
    })))
    t.match(await store.jobs.get(j1.id), { status: 'queued' }, 'the first start was rolled back too')
    t.same(await store.jobs.gpusOf(j1.id), [])
    t.same(await store.jobs.listCycles(5), [], 'no cycle row')
    await t.rejects(store.jobs.runCycle(T0, 'throws', { freshSince: T0 - 60_000 }, () => { throw new Error('plan failed') }), /plan failed/)
  })

  t.test('runCycle compare-and-set: a job changed since the snapshot is skipped', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 1 }], T0)
    const j = await submitted(store, c.clusterId, null)
    const cycle = await store.jobs.runCycle(T0, 'stale', { freshSince: T0 - 60_000 }, () => emptyPlan({
      starts: [{ jobId: j.id, expect: { status: 'queued', pendingReason: 'PRIORITY' }, nodeId: c.nodes[0]!.id, gpus: [{ gpuId: c.nodes[0]!.gpuIds[0]!, nodeId: c.nodes[0]!.id, model: null }], detail: {} }],
      changes: [{ jobId: j.id, expect: { status: 'blocked', pendingReason: 'QUOTA' }, status: 'queued', pendingReason: 'PRIORITY', blockReason: null }],
    }))
    t.match(cycle, { started: 0, detail: { skipped_changed_meanwhile: 2 } })
    t.match(await store.jobs.get(j.id), { status: 'queued', pendingReason: 'CAPACITY' })
    t.same(await store.jobs.gpusOf(j.id), [])
  })

  t.test('applyChange: end releases GPUs with events; hold and release; a stale expectation changes nothing', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 2 }], T0)
    const j = await submitted(store, c.clusterId, null, { gpuCount: 2 })
    const w = await submitted(store, c.clusterId, null)
    await store.jobs.runCycle(T0 + 1000, 'test', { freshSince: T0 + 1000 - 60_000 }, plan)
    t.equal(await store.jobs.applyChange(j.id, { status: 'queued', pendingReason: 'CAPACITY' }, { kind: 'end', status: 'completed', by: null }, T0 + 2000), null)
    const ended = await store.jobs.applyChange(j.id, { status: 'running', pendingReason: null }, { kind: 'end', status: 'failed', by: 'key:1' }, T0 + 61_000)
    t.match(ended, { status: 'failed', endedAt: T0 + 61_000, pendingReason: null })
    t.same((await store.jobs.gpusOf(j.id)).map(g => g.releasedAt), [T0 + 61_000, T0 + 61_000])
    t.match((await store.jobs.eventsOf(j.id, 3)).map(e => [e.kind, e.gpuId, e.detail]), [
      ['gpu_released', c.nodes[0]!.gpuIds[0], null], ['gpu_released', c.nodes[0]!.gpuIds[1], null], ['ended', null, { status: 'failed', from: 'running', by: 'key:1', ran_ms: 60_000 }],
    ])
    const held = await store.jobs.applyChange(w.id, { status: 'queued', pendingReason: 'CAPACITY' }, { kind: 'hold', blockReason: 'maintenance', by: 'key:1' }, T0 + 62_000)
    t.match(held, { status: 'blocked', pendingReason: 'OPERATOR_HOLD', blockReason: 'maintenance' })
    await store.jobs.runCycle(T0 + 62_500, 'test', { freshSince: T0 }, plan)
    t.match(await store.jobs.get(w.id), { status: 'blocked', pendingReason: 'OPERATOR_HOLD' }, 'a cycle leaves a hold alone, even with free GPUs')
    const released = await store.jobs.applyChange(w.id, { status: 'blocked', pendingReason: 'OPERATOR_HOLD' }, { kind: 'release', pendingReason: 'CAPACITY', by: null }, T0 + 63_000)
    t.match(released, { status: 'queued', pendingReason: 'CAPACITY', blockReason: null })
    t.same((await store.jobs.eventsOf(w.id, 10)).map(e => e.kind), ['submitted', 'held', 'released'])
    t.equal(await store.jobs.applyChange(999, { status: 'queued', pendingReason: null }, { kind: 'release', pendingReason: 'CAPACITY', by: null }, T0), null)
  })

  t.test('endTimedOut: a running job past time_limit_min ends failed (TIMEOUT) with its GPUs released; nextAt is the nearest limit', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 3 }], T0)
    const short = await submitted(store, c.clusterId, null, { gpuCount: 2, timeLimitMin: 1 })
    const long = await submitted(store, c.clusterId, null, { timeLimitMin: 525_600 })
    const waiting = await submitted(store, c.clusterId, null, { timeLimitMin: 1 })
    t.match(short, { timeLimitMin: 1, endReason: null })
    t.match(await submitted(store, c.clusterId, null), { timeLimitMin: null }, 'no limit by default')
    await store.jobs.runCycle(T0 + 1000, 'test', { freshSince: T0 + 1000 - 60_000 }, plan)
    t.match(await store.jobs.get(long.id), { status: 'running' })
    const shortGpus = (await store.jobs.gpusOf(short.id)).map(g => g.gpuId)
    t.same((await store.jobs.heldGpuIds([...c.nodes[0]!.gpuIds, 999])).sort((a, b) => a - b), c.nodes[0]!.gpuIds, 'every GPU held; unknown ids are not')
    t.same(await store.jobs.heldGpuIds([]), [])

    t.same(await store.jobs.endTimedOut(T0 + 60_999), { ended: [], nextAt: T0 + 61_000 }, 'a millisecond before: nothing ends')
    t.match(await store.jobs.get(short.id), { status: 'running', endedAt: null })
    const r = await store.jobs.endTimedOut(T0 + 75_000)
    t.match(r.ended, [{ id: short.id, status: 'failed', endReason: 'TIMEOUT', endedAt: T0 + 75_000, pendingReason: null, timeLimitMin: 1 }])
    t.equal(r.nextAt, T0 + 1000 + 525_600 * 60_000, 'the year-long limit next (no integer overflow)')
    t.same((await store.jobs.gpusOf(short.id)).map(g => g.releasedAt), [T0 + 75_000, T0 + 75_000], 'its GPU intervals close: metering stops')
    t.same(await store.jobs.heldGpuIds(shortGpus), [])
    t.match((await store.jobs.eventsOf(short.id, 3)).map(e => [e.kind, e.detail]), [
      ['gpu_released', null], ['gpu_released', null], ['ended', { status: 'failed', from: 'running', by: 'scheduler', reason: 'TIMEOUT', ran_ms: 74_000 }],
    ])
    t.match(await store.jobs.get(waiting.id), { status: 'queued', endReason: null }, 'a limit counts from the start, never for a waiting job')
    t.same(await store.jobs.endTimedOut(T0 + 80_000), { ended: [], nextAt: T0 + 1000 + 525_600 * 60_000 }, 'ended once')
    const ended = await store.jobs.applyChange(long.id, { status: 'running', pendingReason: null }, { kind: 'end', status: 'completed', by: null }, T0 + 90_000)
    t.match(ended, { status: 'completed', endReason: null })
    t.same(await store.jobs.endTimedOut(T0 + 90_000), { ended: [], nextAt: null }, 'no running job with a limit')
  })

  t.test('runCycle: a clock for `at` is read once, inside the cycle; starts and the cycle carry that time', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 1 }], T0)
    const j = await submitted(store, c.clusterId, null)
    let reads = 0
    const seen: number[] = []
    const cycle = await store.jobs.runCycle(() => { reads++; return T0 + 4321 }, 'test', { freshSince: T0 - 60_000 }, s => { seen.push(s.at); return plan(s) })
    t.equal(reads, 1)
    t.same(seen, [T0 + 4321])
    t.equal(cycle.startedAt, T0 + 4321)
    t.match(await store.jobs.get(j.id), { status: 'running', startedAt: T0 + 4321 })
    t.same((await store.jobs.gpusOf(j.id)).map(g => g.assignedAt), [T0 + 4321])
  })

  t.test('submit: a job without time_limit_min gets its cluster\'s default_time_limit_min; null asks for no limit', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 1 }], T0)
    const limitOf = async (extra: Record<string, unknown>) => (await submitted(store, c.clusterId, null, extra)).timeLimitMin
    t.equal(await limitOf({ timeLimitMin: undefined }), null, 'no default: no limit')
    t.match(await store.fleet.updateCluster(c.clusterId, { defaultTimeLimitMin: 1440 }), { defaultTimeLimitMin: 1440 })
    t.equal(await limitOf({ timeLimitMin: undefined }), 1440, 'absent: the cluster default')
    t.equal(await limitOf({ timeLimitMin: 30 }), 30, 'given: its own')
    t.equal(await limitOf({ timeLimitMin: null }), null, 'null: no limit, asked for')
    t.equal(await store.fleet.updateCluster(999, { defaultTimeLimitMin: 5 }), null)
    const made = await store.fleet.createCluster({ name: 'd', region: null, defaultTimeLimitMin: 90 }, T0)
    t.equal(made?.defaultTimeLimitMin, 90)
  })

  t.test('the cycle snapshot: running jobs\' expected ends (time limit, else estimate, else unknown), read only when a waiting job has a limit', async t => {
    const store = await fresh(t)
    const c = await addCluster(store, 'c', [{ gpus: 3 }, { gpus: 2, model: 'NVIDIA A100' }], T0)
    const limited = await submitted(store, c.clusterId, null, { gpuCount: 2, gpuType: 'H100', timeLimitMin: 30, estimatedDurationMin: 999 })
    const estimated = await submitted(store, c.clusterId, null, { estimatedDurationMin: 10 })
    const open = await submitted(store, c.clusterId, null, { gpuCount: 2, gpuType: 'A100' })
    await store.jobs.runCycle(T0 + 1000, 'test', { freshSince: T0 + 1000 - 60_000 }, plan)
    for (const j of [limited, estimated, open]) t.equal((await store.jobs.get(j.id))?.status, 'running')
    const seen: SchedulerSnapshot[] = []
    const capture = (s: SchedulerSnapshot) => { seen.push(s); return emptyPlan() }
    await submitted(store, c.clusterId, null)
    await store.jobs.runCycle(T0 + 2000, 'test', { freshSince: T0 + 2000 - 60_000 }, capture)
    t.equal(seen[0]?.ends, undefined, 'no waiting job with a time limit: not read')
    await submitted(store, c.clusterId, null, { timeLimitMin: 5 })
    await store.jobs.runCycle(T0 + 3000, 'test', { freshSince: T0 + 3000 - 60_000 }, capture)
    const ends = [...(seen[1]?.ends ?? [])].sort((a, b) => (a.at ?? Infinity) - (b.at ?? Infinity))
    t.same(ends, [
      { nodeId: c.nodes[0]!.id, model: 'NVIDIA H100 80GB HBM3', gpus: 1, at: T0 + 1000 + 10 * 60_000 },
      { nodeId: c.nodes[0]!.id, model: 'NVIDIA H100 80GB HBM3', gpus: 2, at: T0 + 1000 + 30 * 60_000 },
      { nodeId: c.nodes[1]!.id, model: 'NVIDIA A100', gpus: 2, at: null },
    ])
  })

  t.test('read models: counts per cluster, recent jobs, queue stats, allocation', async t => {
    const store = await fresh(t)
    const c1 = await addCluster(store, 'c1', [{ gpus: 2 }], T0)
    const c2 = await addCluster(store, 'c2', [{ gpus: 1 }], T0)
    const a = (await store.tenants.create({ name: 'a', gpuQuota: 8 }, T0))!
    const run = await submitted(store, c1.clusterId, a.id, { gpuCount: 2, name: 'trainer' })
    await submitted(store, c1.clusterId, null, { gpuCount: 1 })
    await submitted(store, c1.clusterId, a.id, { gpuCount: 9 }, { status: 'blocked', pendingReason: 'NEVER_FITS_QUOTA', blockReason: 'x' })
    await store.jobs.runCycle(T0 + 30_000, 'test', { freshSince: T0 + 30_000 - 60_000 }, plan)
    const counts = await store.jobs.countsByCluster([c1.clusterId, c2.clusterId])
    t.same([...counts], [[c1.clusterId, { running: 1, waiting: 2 }]], 'clusters without jobs are absent')
    t.same((await store.jobs.recent(c1.clusterId, 2)).map(j => j.id), [3, 2])
    t.same((await store.jobs.recent(c1.clusterId, 10, a.id)).map(j => j.id), [3, 1])

    const s = await store.jobs.queueStats(T0 - 1)
    t.match(s, {
      running: 1, queued: 1, blocked: 1, byReason: { CAPACITY: 1, NEVER_FITS_QUOTA: 1 }, waitsMs: [30_000], submitted: 3, started: 1,
      ended: { completed: 0, failed: 0, cancelled: 0 }, oldestWaiting: { jobId: 2 },
    })
    t.same(s.byCluster.map(x => [x.clusterName, x.running, x.queued, x.blocked, x.waitingGpus, x.runningGpus]), [['c1', 1, 1, 1, 10, 2], ['c2', 0, 0, 0, 0, 0]])
    const mine = await store.jobs.queueStats(T0 - 1, a.id)
    t.match(mine, { running: 1, queued: 0, blocked: 1, oldestWaiting: null })
    t.same(mine.byCluster.map(x => x.clusterName), ['c1'], 'a tenant sees only clusters it has jobs in')

    const alloc = await store.jobs.allocation({})
    t.equal(alloc.length, 3)
    t.match(alloc.filter(r => r.job !== null), [
      { clusterName: 'c1', gpuIndex: 0, job: { id: run.id, name: 'trainer', tenantId: a.id, tenantName: 'a', assignedAt: T0 + 30_000 } },
      { clusterName: 'c1', gpuIndex: 1, job: { id: run.id } },
    ])
    t.equal((await store.jobs.allocation({ clusterId: c2.clusterId })).length, 1)
    t.equal((await store.jobs.allocation({ tenantId: a.id })).length, 2, 'a tenant: only GPUs its jobs hold')
    t.equal((await store.jobs.allocation({ tenantId: 999 })).length, 0)
  })
}
