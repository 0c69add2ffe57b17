import t from 'tap'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import type { PendingReason, SchedulerSnapshot, WaitingJob } from '../../../control-plane/store/job-repository.ts'
import type { TenantStatus } from '../../../control-plane/store/tenant-repository.ts'
import { mulberry32 } from '../../helpers/mulberry32.ts'

const AT = Date.UTC(2026, 4, 9, 12, 0, 0)
const STALE_MS = 60_000

interface NodeOpts { model?: string | null, online?: boolean, updatedAt?: number | null, busy?: number[] }

/** A GPU as the fleet holds it; the snapshot below reduces these as the store's queries do. */
interface TestGpu { id: number, nodeId: number, clusterId: number, gpuIndex: number, model: string | null, status: 'idle' | 'active', updatedAt: number | null, nodeOnline: boolean }

/** Builds fleets by hand: nodes of GPUs. */
function fleet () {
  const gpus: TestGpu[] = []
  let gpuId = 0
  const node = (nodeId: number, clusterId: number, count: number, o: NodeOpts = {}) => {
    const ids: number[] = []
    for (let i = 0; i < count; i++) {
      ids.push(++gpuId)
      gpus.push({
        id: gpuId, nodeId, clusterId, gpuIndex: i, model: o.model === undefined ? 'NVIDIA H100 80GB HBM3' : o.model,
        status: o.busy?.includes(i) === true ? 'active' : 'idle', updatedAt: o.updatedAt === undefined ? AT - 1000 : o.updatedAt, nodeOnline: o.online ?? true,
      })
    }
    return ids
  }
  return { gpus, node }
}

let jobSeq = 0
function job (o: Partial<WaitingJob> = {}): WaitingJob {
  const id = o.id ?? ++jobSeq
  return {
    id, clusterId: 1, tenantId: null, gpuCount: 1, gpuType: null, priority: 5, status: 'queued', pendingReason: 'CAPACITY',
    blockReason: null, submittedAt: AT - 60_000 + id, ...o,
  }
}

interface Extra { tenants?: Array<{ id: number, gpuQuota: number, status: TenantStatus }>, held?: Array<{ gpuId: number, tenantId: number | null }> }

/**
 * The snapshot the store would read (see sqlite-run-cycle.ts): inventory per node and model;
 * free = node online, reading within 60 s (or ahead), idle, not held; unreported = node online,
 * no reading within 60 s, not held; tenants with GPUs held.
 */
function snapshot (gpus: TestGpu[], jobs: WaitingJob[], extra: Extra = {}): SchedulerSnapshot {
  const held = extra.held ?? []
  const heldIds = new Set(held.map(h => h.gpuId))
  const inventory = new Map<string, { nodeId: number, clusterId: number, nodeOnline: boolean, model: string | null, count: number }>()
  for (const g of gpus) {
    const k = `${g.nodeId}/${g.model}`
    const row = inventory.get(k) ?? { nodeId: g.nodeId, clusterId: g.clusterId, nodeOnline: g.nodeOnline, model: g.model, count: 0 }
    row.count++
    inventory.set(k, row)
  }
  const free = gpus
    .filter(g => g.nodeOnline && g.status === 'idle' && g.updatedAt !== null && g.updatedAt >= AT - STALE_MS && !heldIds.has(g.id))
    .map(g => ({ id: g.id, nodeId: g.nodeId, clusterId: g.clusterId, gpuIndex: g.gpuIndex, model: g.model }))
  const unreported = gpus
    .filter(g => g.nodeOnline && (g.updatedAt === null || g.updatedAt < AT - STALE_MS) && !heldIds.has(g.id))
    .map(g => ({ id: g.id, nodeId: g.nodeId, clusterId: g.clusterId, gpuIndex: g.gpuIndex, model: g.model }))
  const tenants = (extra.tenants ?? []).map(t => ({ ...t, gpusHeld: held.filter(h => h.tenantId === t.id).length }))
  return { at: AT, jobs, tenants, inventory: [...inventory.values()], free, unreported }
}

const reasons = (plan: ReturnType<typeof planCycle>, snap: SchedulerSnapshot) => {
  const out = new Map<number, PendingReason | 'started'>()
  for (const j of snap.jobs) out.set(j.id, j.pendingReason as PendingReason)
  for (const c of plan.changes) out.set(c.jobId, c.pendingReason)
  for (const s of plan.starts) out.set(s.jobId, 'started')
  return Object.fromEntries(out)
}

t.test('priority 1 first, then submit time, then id (the order the store hands over)', async t => {
  const f = fleet()
  f.node(1, 1, 8)
  const jobs = [job({ id: 1, priority: 1, gpuCount: 8, submittedAt: AT - 10 }), job({ id: 2, priority: 5, gpuCount: 8, submittedAt: AT - 100 })]
  const snap = snapshot(f.gpus, jobs)
  const plan = planCycle(snap)
  t.same(plan.starts.map(s => s.jobId), [1], 'the first in order takes the node')
  t.same(reasons(plan, snap), { 1: 'started', 2: 'CAPACITY' })
})

t.test('every pending reason, each from its own situation', async t => {
  const f = fleet()
  f.node(1, 1, 8, { busy: [0, 1] }) // 6 free
  f.node(2, 1, 8, { busy: [0, 1, 2, 3] }) // 4 free
  f.node(3, 1, 4, { busy: [0, 1] }) // 2 free, too small for jobs 1 and 2
  f.node(4, 2, 4, { busy: [0, 1, 2, 3] }) // cluster 2: nothing free
  const tenants = [
    { id: 10, gpuQuota: 10, status: 'active' as const },
    { id: 11, gpuQuota: 4, status: 'active' as const },
    { id: 12, gpuQuota: 100, status: 'inactive' as const },
  ]
  // Tenant 11 already holds 3 of its 4 through a running job on cluster 2.
  const held = [0, 1, 2].map(i => ({ gpuId: 21 + i, tenantId: 11 }))
  const jobs = [
    job({ id: 1, priority: 1, gpuCount: 8 }), // fits on one node, none has 8 free → reserves node 1 (6 free)
    job({ id: 2, priority: 2, gpuCount: 6 }), // would fit node 1, reserved → PRIORITY; reserves node 2 in turn
    job({ id: 3, priority: 3, gpuCount: 2 }), // backfills node 3, which neither job above can use
    job({ id: 4, priority: 3, gpuCount: 12, tenantId: 10 }), // > quota 10 → NEVER_FITS_QUOTA
    job({ id: 5, priority: 3, gpuCount: 21 }), // > 20 GPUs in cluster 1 → NEVER_FITS_CLUSTER
    job({ id: 6, priority: 3, gpuCount: 1, gpuType: 'A100' }), // no A100 at all → NEVER_FITS_CLUSTER
    job({ id: 7, priority: 3, gpuCount: 2, tenantId: 11 }), // 3 held + 2 > 4 → QUOTA
    job({ id: 8, priority: 3, gpuCount: 1, tenantId: 12 }), // inactive tenant
    job({ id: 9, priority: 3, gpuCount: 1, clusterId: 2 }), // nothing free in cluster 2 → CAPACITY
    job({ id: 10, priority: 4, gpuCount: 1, status: 'blocked', pendingReason: 'OPERATOR_HOLD', blockReason: 'maintenance' }),
  ]
  const snap = snapshot(f.gpus, jobs, { tenants, held })
  const plan = planCycle(snap)
  t.same(reasons(plan, snap), {
    1: 'CAPACITY', 2: 'PRIORITY', 3: 'started', 4: 'NEVER_FITS_QUOTA', 5: 'NEVER_FITS_CLUSTER', 6: 'NEVER_FITS_CLUSTER',
    7: 'QUOTA', 8: 'TENANT_INACTIVE', 9: 'CAPACITY', 10: 'OPERATOR_HOLD',
  })
  const byJob = new Map(plan.changes.map(c => [c.jobId, c]))
  t.match(byJob.get(4), { status: 'blocked', blockReason: "gpu_count 12 exceeds the tenant's GPU quota of 10" })
  t.match(byJob.get(5), { status: 'blocked', blockReason: 'gpu_count 21 exceeds the 20 GPUs in cluster 1' })
  t.match(byJob.get(6), { status: 'blocked', blockReason: 'gpu_count 1 exceeds the 0 GPUs matching "A100" in cluster 1' })
  t.match(byJob.get(7), { status: 'blocked', blockReason: "waiting for the tenant's GPU quota of 4" })
  t.match(byJob.get(8), { status: 'blocked', pendingReason: 'TENANT_INACTIVE' })
  t.match(byJob.get(2), { status: 'queued', blockReason: null })
  t.notOk(byJob.has(10), 'a held job is left exactly as it is')
  t.equal(plan.starts[0]?.nodeId, 3, 'the backfilled job went to the node no higher job can use')
  t.same(plan.detail.waiting, { CAPACITY: 2, PRIORITY: 1, NEVER_FITS_QUOTA: 1, NEVER_FITS_CLUSTER: 2, QUOTA: 1, TENANT_INACTIVE: 1, OPERATOR_HOLD: 1 })
  t.equal(plan.blocked, 6)
  t.equal(plan.processed, 10)
})

t.test('a second plan over the applied result changes nothing (no rewrites of unchanged jobs)', async t => {
  const f = fleet()
  f.node(1, 1, 2, { busy: [0, 1] })
  const jobs = [job({ id: 1, gpuCount: 1 }), job({ id: 2, gpuCount: 5, tenantId: 1 })]
  const snap = snapshot(f.gpus, jobs, { tenants: [{ id: 1, gpuQuota: 4, status: 'active' }] })
  const first = planCycle(snap)
  t.same(first.changes.map(c => c.jobId), [2], 'job 1 was already CAPACITY; job 2 becomes NEVER_FITS_QUOTA')
  const applied = jobs.map(j => {
    const c = first.changes.find(x => x.jobId === j.id)
    return c === undefined ? j : { ...j, status: c.status, pendingReason: c.pendingReason, blockReason: c.blockReason }
  })
  t.same(planCycle({ ...snap, jobs: applied }).changes, [])
})

t.test('one node per job: best fit, lowest gpu_index first', async t => {
  const f = fleet()
  f.node(1, 1, 8) // 8 free
  f.node(2, 1, 8, { busy: [0, 1, 2, 3, 4] }) // 3 free: 5, 6, 7
  f.node(3, 1, 8, { busy: [0, 1, 2] }) // 5 free: 3..7
  const plan = planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 3 }), job({ id: 2, gpuCount: 4 }), job({ id: 3, gpuCount: 8 })]))
  const placed = Object.fromEntries(plan.starts.map(s => [s.jobId, s.gpus.map(g => [g.nodeId, g.gpuId])]))
  t.same(placed[1], [[2, 14], [2, 15], [2, 16]], '3 GPUs on the node with exactly 3 free')
  t.same(placed[2], [[3, 20], [3, 21], [3, 22], [3, 23]], '4 on the node with 5 free')
  t.same(placed[3]?.map(p => p[0]), [1, 1, 1, 1, 1, 1, 1, 1], 'the whole free node kept for the whole-node job')
})

t.test('a job that fits on one node waits rather than spread; one larger than any node spans, fewest nodes first', async t => {
  const f = fleet()
  f.node(1, 1, 8, { busy: [0, 1, 2, 3] })
  f.node(2, 1, 8, { busy: [0, 1, 2, 3] })
  const waits = planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 8 })]))
  t.same(waits.starts, [], '4 + 4 free, but 8 fit one node: it waits')
  t.equal(waits.changes.length, 0, 'CAPACITY, as it was')

  const g = fleet()
  g.node(1, 1, 8)
  g.node(2, 1, 8, { busy: [0] })
  g.node(3, 1, 8)
  const spans = planCycle(snapshot(g.gpus, [job({ id: 1, gpuCount: 12 })]))
  const nodes = spans.starts[0]?.gpus.map(x => x.nodeId)
  t.same([...new Set(nodes)], [1, 3], 'two whole-ish nodes, the emptiest first')
  t.equal(nodes?.length, 12)
  t.equal(spans.starts[0]?.nodeId, 1)
})

t.test('only idle GPUs with a fresh reading on online nodes, not held, of the asked type', async t => {
  const f = fleet()
  f.node(1, 1, 2, { online: false })
  f.node(2, 1, 2, { updatedAt: AT - 61_000 })
  f.node(3, 1, 2, { updatedAt: null })
  f.node(4, 1, 2, { busy: [0, 1] })
  const heldIds = f.node(5, 1, 2)
  f.node(6, 1, 2, { model: 'NVIDIA A100-SXM4-80GB' })
  const held = heldIds.map(gpuId => ({ gpuId, tenantId: null }))
  const plan = planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 2, gpuType: 'h100' }), job({ id: 2, gpuCount: 2, gpuType: 'a100' })], { held }))
  t.same(plan.starts.map(s => [s.jobId, s.nodeId]), [[2, 6]], 'the A100 job starts on the A100 node')
  // Was `t.same(plan.changes, [])` (CAPACITY): nodes 2 and 3 send no readings, now a reason of its own.
  t.same(plan.changes.map(c => [c.jobId, c.status, c.pendingReason]), [[1, 'queued', 'NODE_NOT_REPORTING']],
    'the H100 job: none of the five H100 nodes has a usable GPU, and two of them send no readings')

  const g = fleet()
  g.node(1, 1, 1, { updatedAt: AT + 5000 })
  t.equal(planCycle(snapshot(g.gpus, [job({ id: 1 })])).starts.length, 1, 'a reading from a clock slightly ahead counts as fresh')
})

t.test('quota: usage accumulates within the cycle; a tenant waiting on quota keeps its later jobs waiting too', async t => {
  const f = fleet()
  f.node(1, 1, 8)
  f.node(2, 1, 8)
  const tenants = [{ id: 1, gpuQuota: 8, status: 'active' as const }, { id: 2, gpuQuota: 16, status: 'active' as const }]
  const jobs = [
    job({ id: 1, priority: 1, gpuCount: 4, tenantId: 1 }),
    job({ id: 2, priority: 1, gpuCount: 4, tenantId: 1 }),
    job({ id: 3, priority: 2, gpuCount: 4, tenantId: 1 }), // 8 used → QUOTA
    job({ id: 4, priority: 3, gpuCount: 1, tenantId: 1 }), // would also exceed, but waits behind job 3
    job({ id: 5, priority: 9, gpuCount: 2, tenantId: 2 }), // another tenant is unaffected
  ]
  const snap = snapshot(f.gpus, jobs, { tenants })
  // Job 4 shows TENANT_QUEUE (issue 14): every job behind the tenant's first QUOTA job does,
  // so its reason does not flip with the tenant's usage from cycle to cycle.
  t.same(reasons(planCycle(snap), snap), { 1: 'started', 2: 'started', 3: 'QUOTA', 4: 'TENANT_QUEUE', 5: 'started' })

  // Held 4 of 10: an 8-GPU job waits on quota, and a 2-GPU job behind it may not take the headroom.
  const strict = snapshot(f.gpus, [job({ id: 1, priority: 1, gpuCount: 8, tenantId: 1 }), job({ id: 2, priority: 5, gpuCount: 2, tenantId: 1 })], {
    tenants: [{ id: 1, gpuQuota: 10, status: 'active' }],
    held: [101, 102, 103, 104].map(gpuId => ({ gpuId, tenantId: 1 })),
  })
  // Job 2 was QUOTA; it is within the quota and waits behind job 1: TENANT_QUEUE says so.
  t.same(reasons(planCycle(strict), strict), { 1: 'QUOTA', 2: 'TENANT_QUEUE' })
})

t.test('a quota lowered below what runs starts nothing more for that tenant', async t => {
  const f = fleet()
  f.node(1, 1, 8)
  const snap = snapshot(f.gpus, [job({ id: 1, gpuCount: 1, tenantId: 1 })], {
    tenants: [{ id: 1, gpuQuota: 2, status: 'active' }],
    held: [201, 202, 203].map(gpuId => ({ gpuId, tenantId: 1 })),
  })
  t.same(reasons(planCycle(snap), snap), { 1: 'QUOTA' })
})

t.test('conservative backfill: reservations keep lower jobs off the node a higher one drains; other nodes stay usable', async t => {
  const f = fleet()
  f.node(1, 1, 8, { busy: [0] }) // 7 free
  f.node(2, 1, 8, { busy: [0, 1, 2, 3, 4, 5] }) // 2 free
  const jobs = [
    job({ id: 1, priority: 1, gpuCount: 8 }), // reserves node 1
    job({ id: 2, priority: 5, gpuCount: 1 }), // node 2
    job({ id: 3, priority: 5, gpuCount: 1 }), // node 2
    job({ id: 4, priority: 5, gpuCount: 1 }), // node 1 reserved, node 2 full → PRIORITY
    job({ id: 5, priority: 5, gpuCount: 8 }), // even node 1's 7 would not do → CAPACITY
  ]
  const snap = snapshot(f.gpus, jobs)
  const plan = planCycle(snap)
  t.same(reasons(plan, snap), { 1: 'CAPACITY', 2: 'started', 3: 'started', 4: 'PRIORITY', 5: 'CAPACITY' })
  t.ok(plan.starts.every(s => s.nodeId === 2))
  t.equal(plan.detail.reserved_nodes, 2, 'node 1 for job 1, node 2 (now full) for job 4')
})

t.test('a multi-node job reserves enough nodes for itself, or none', async t => {
  const f = fleet()
  f.node(1, 1, 4, { busy: [0] })
  f.node(2, 1, 4, { busy: [0, 1] })
  f.node(3, 1, 4, { busy: [0, 1, 2] })
  // 6 free of 12; a 10-GPU job reserves nodes 1, 2, 3 (capacity 12 ≥ 10) and nothing backfills.
  const snap = snapshot(f.gpus, [job({ id: 1, priority: 1, gpuCount: 10 }), job({ id: 2, priority: 9, gpuCount: 1 })])
  t.same(reasons(planCycle(snap), snap), { 1: 'CAPACITY', 2: 'PRIORITY' })
})

t.test('GPUs of an online node with no reading for 60 s: NODE_NOT_REPORTING, not CAPACITY', async t => {
  const f = fleet()
  f.node(1, 1, 8, { busy: [0, 1, 2, 3, 4, 5, 6, 7] }) // reports, all busy
  f.node(2, 1, 4, { updatedAt: AT - 61_000 }) // online, silent for 61 s
  f.node(3, 1, 2, { updatedAt: null, busy: [0] }) // online, never read
  const jobs = [
    job({ id: 1, gpuCount: 4 }), // would fit node 2 were it reporting
    job({ id: 2, gpuCount: 2 }), // node 2 or 3
    job({ id: 3, gpuCount: 8 }), // only node 1 holds 8, and it is busy: CAPACITY
    job({ id: 4, gpuCount: 14 }), // spans: 0 free + 6 silent < 14: CAPACITY
  ]
  const snap = snapshot(f.gpus, jobs)
  const plan = planCycle(snap)
  t.same(reasons(plan, snap), { 1: 'NODE_NOT_REPORTING', 2: 'NODE_NOT_REPORTING', 3: 'CAPACITY', 4: 'CAPACITY' })
  t.same(plan.changes.map(c => [c.jobId, c.status, c.blockReason]), [[1, 'queued', null], [2, 'queued', null]], 'still queued: it waits for GPUs')
  t.same(plan.detail.waiting, { NODE_NOT_REPORTING: 2, CAPACITY: 2 })

  const g = fleet()
  g.node(1, 1, 4, { busy: [0, 1] })
  g.node(2, 1, 4, { updatedAt: AT - 61_000 })
  const spans = snapshot(g.gpus, [job({ id: 1, gpuCount: 6 })])
  t.same(reasons(planCycle(spans), spans), { 1: 'NODE_NOT_REPORTING' }, 'a spanning job: 2 free + 4 silent would do')
})

t.test('a job only offline nodes could hold: NODE_OFFLINE; an offline node is not the largest node', async t => {
  const f = fleet()
  f.node(1, 1, 8, { online: false })
  f.node(2, 1, 4)
  f.node(3, 1, 4)
  f.node(4, 1, 4)
  const jobs = [
    job({ id: 1, priority: 1, gpuCount: 16 }), // 12 online GPUs, 20 registered: waits for the offline node
    job({ id: 2, priority: 2, gpuCount: 6 }), // larger than any online node: spans two 4-GPU nodes
    job({ id: 3, priority: 3, gpuCount: 21 }), // more than the cluster ever had
  ]
  const snap = snapshot(f.gpus, jobs)
  const plan = planCycle(snap)
  t.same(reasons(plan, snap), { 1: 'NODE_OFFLINE', 2: 'started', 3: 'NEVER_FITS_CLUSTER' })
  t.match(plan.changes.find(c => c.jobId === 1), { status: 'queued', blockReason: null })
  const nodes = plan.starts[0]?.gpus.map(g => g.nodeId) ?? []
  t.equal(nodes.length, 6)
  t.equal(new Set(nodes).size, 2, 'the 6-GPU job does not wait for the offline 8-GPU node')
  t.notOk(nodes.includes(1))

  const g = fleet()
  g.node(1, 1, 8, { online: false, model: 'NVIDIA B200' })
  g.node(2, 1, 8)
  const typed = snapshot(g.gpus, [job({ id: 1, gpuCount: 1, gpuType: 'B200' })])
  t.same(reasons(planCycle(typed), typed), { 1: 'NODE_OFFLINE' }, 'the only B200 node is offline')
})

t.test('a tenant\'s later job within its quota waits behind an earlier one on QUOTA: TENANT_QUEUE', async t => {
  const f = fleet()
  f.node(1, 1, 8)
  // Tenant 1 runs 2 of its 4: a 3-GPU job waits on QUOTA; the 1-GPU job behind it would fit.
  const snap = snapshot(f.gpus, [job({ id: 1, priority: 1, gpuCount: 3, tenantId: 1 }), job({ id: 2, priority: 5, gpuCount: 1, tenantId: 1 })], {
    tenants: [{ id: 1, gpuQuota: 4, status: 'active' }],
    held: [101, 102].map(gpuId => ({ gpuId, tenantId: 1 })),
  })
  const plan = planCycle(snap)
  t.same(reasons(plan, snap), { 1: 'QUOTA', 2: 'TENANT_QUEUE' })
  t.match(plan.changes.find(c => c.jobId === 1), { status: 'blocked', blockReason: "waiting for the tenant's GPU quota of 4" })
  t.match(plan.changes.find(c => c.jobId === 2), { status: 'blocked', blockReason: 'behind an earlier job of its tenant waiting for the GPU quota of 4' })
})

t.test('a job\'s GPUs are all of one model unless its gpu_type is "any"', async t => {
  const H100 = 'NVIDIA H100 80GB HBM3'
  const A100 = 'NVIDIA A100-SXM4-80GB'
  const mixedFleet = () => {
    const f = fleet()
    f.node(1, 1, 4, { model: H100 })
    f.node(2, 1, 4, { model: A100 })
    f.node(3, 1, 4, { model: A100 })
    return f
  }
  const modelsOf = (plan: ReturnType<typeof planCycle>) => plan.starts.map(s => [s.jobId, [...new Set(s.gpus.map(g => g.model))]])

  const f = mixedFleet()
  t.same(modelsOf(planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 6 })]))), [[1, [A100]]], 'no gpu_type: six A100s, not 4 H100 + 2 A100')
  t.same(modelsOf(planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 6, gpuType: 'nvidia' })]))), [[1, [A100]]], 'a gpu_type two models match: one of them')
  t.same(modelsOf(planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 6, gpuType: 'any' })]))).map(([id, models]) => [id, (models as string[]).length]),
    [[1, 2]], '"any" may mix')
  t.same(modelsOf(planCycle(snapshot(f.gpus, [job({ id: 1, gpuCount: 12, gpuType: 'Any' })]))).map(([id]) => id), [1], '"any" takes the whole cluster')

  const busy = fleet()
  busy.node(1, 1, 4, { model: H100 })
  busy.node(2, 1, 4, { model: A100, busy: [0, 1, 2] })
  const waits = snapshot(busy.gpus, [job({ id: 1, gpuCount: 6, gpuType: 'any' }), job({ id: 2, gpuCount: 3 }), job({ id: 3, gpuCount: 5 })])
  const plan = planCycle(waits)
  t.same(reasons(plan, waits), { 1: 'CAPACITY', 2: 'PRIORITY', 3: 'NEVER_FITS_CLUSTER' })
  t.match(plan.changes.find(c => c.jobId === 3), {
    status: 'blocked', blockReason: 'gpu_count 5 exceeds the 4 GPUs of one model (8 with models mixed: gpu_type "any") in cluster 1',
  })
})

t.test('random fleets and queues: starts never break a rule', async t => {
  const models = ['NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-80GB', 'NVIDIA B200']
  const types = [null, 'H100', 'A100', 'B200', 'nvidia h100 80gb']
  let started = 0
  for (let round = 0; round < 300; round++) {
    const rnd = mulberry32(round + 1)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
    const f = fleet()
    let nodeId = 0
    for (let c = 1; c <= 3; c++) {
      for (let n = 0; n < 1 + Math.floor(rnd() * 5); n++) {
        const size = pick([1, 2, 4, 8])
        f.node(++nodeId, c, size, {
          model: pick(models), online: rnd() > 0.1, updatedAt: rnd() > 0.1 ? AT - 1000 : AT - 120_000,
          busy: Array.from({ length: size }, (_, i) => i).filter(() => rnd() < 0.2),
        })
      }
    }
    const tenants = [1, 2, 3].map(id => ({ id, gpuQuota: 1 + Math.floor(rnd() * 12), status: rnd() > 0.1 ? 'active' as const : 'inactive' as const }))
    const heldGpus = f.gpus.filter(() => rnd() < 0.2)
    const held = heldGpus.map(g => ({ gpuId: g.id, tenantId: pick([null, 1, 2, 3]) }))
    const jobs = Array.from({ length: 5 + Math.floor(rnd() * 30) }, (_, i) => job({
      id: i + 1, clusterId: 1 + Math.floor(rnd() * 3), tenantId: pick([null, 1, 2, 3]), gpuCount: pick([1, 1, 2, 3, 4, 8, 9, 16]),
      gpuType: pick(types), priority: 1 + Math.floor(rnd() * 10), submittedAt: AT - i,
      ...(rnd() < 0.05 ? { status: 'blocked' as const, pendingReason: 'OPERATOR_HOLD' as const } : {}),
    })).sort((a, b) => a.priority - b.priority || a.submittedAt - b.submittedAt || a.id - b.id)
    const snap = snapshot(f.gpus, jobs, { tenants, held })
    const plan = planCycle(snap)
    const gpuById = new Map(f.gpus.map(g => [g.id, g]))
    const taken = new Set(held.map(h => h.gpuId))
    const usage = new Map<number, number>()
    for (const h of held) if (h.tenantId !== null) usage.set(h.tenantId, (usage.get(h.tenantId) ?? 0) + 1)
    const problems: string[] = []
    for (const s of plan.starts) {
      const j = jobs.find(x => x.id === s.jobId)!
      if (j.pendingReason === 'OPERATOR_HOLD') problems.push(`held job ${j.id} started`)
      if (s.gpus.length !== j.gpuCount) problems.push(`job ${j.id}: ${s.gpus.length} GPUs for ${j.gpuCount}`)
      for (const g of s.gpus) {
        const gpu = gpuById.get(g.gpuId)!
        if (taken.has(g.gpuId)) problems.push(`GPU ${g.gpuId} given twice`)
        taken.add(g.gpuId)
        if (gpu.clusterId !== j.clusterId) problems.push(`job ${j.id} got a GPU of another cluster`)
        if (!gpu.nodeOnline || gpu.status !== 'idle' || gpu.updatedAt === null || AT - gpu.updatedAt > 60_000) problems.push(`job ${j.id} got unusable GPU ${gpu.id}`)
        if (j.gpuType !== null && !(gpu.model ?? '').toUpperCase().includes(j.gpuType.toUpperCase())) problems.push(`job ${j.id} got a ${gpu.model}`)
      }
      const maxNode = Math.max(0, ...[...new Set(f.gpus.filter(g => g.clusterId === j.clusterId).map(g => g.nodeId))]
        .map(n => f.gpus.filter(g => g.nodeId === n && g.nodeOnline && (j.gpuType === null || (g.model ?? '').toUpperCase().includes(j.gpuType.toUpperCase()))).length))
      if (j.gpuCount <= maxNode && new Set(s.gpus.map(g => g.nodeId)).size > 1) problems.push(`job ${j.id} spread though one node fits`)
      if (new Set(s.gpus.map(g => g.model)).size > 1) problems.push(`job ${j.id} got mixed models`)
      if (j.tenantId !== null) {
        const tenant = tenants.find(x => x.id === j.tenantId)!
        const u = (usage.get(j.tenantId) ?? 0) + j.gpuCount
        if (u > tenant.gpuQuota) problems.push(`tenant ${tenant.id} over quota`)
        if (tenant.status !== 'active') problems.push(`inactive tenant ${tenant.id} started a job`)
        usage.set(j.tenantId, u)
      }
    }
    const queuedFor = new Set<PendingReason>(['CAPACITY', 'PRIORITY', 'NODE_NOT_REPORTING', 'NODE_OFFLINE'])
    for (const c of plan.changes) if ((c.status === 'queued') !== queuedFor.has(c.pendingReason)) problems.push(`job ${c.jobId}: ${c.status} with ${c.pendingReason}`)
    const reasonCount = Object.values(plan.detail.waiting as Record<string, number>).reduce((a, b) => a + b, 0)
    if (reasonCount + plan.starts.length !== jobs.length) problems.push('a job got neither a start nor a reason')
    started += plan.starts.length
    if (problems.length > 0) {
      t.fail(`round ${round}: ${problems.join('; ')}`)
      return
    }
  }
  t.ok(started > 300, `rules held over 300 random cycles (${started} starts)`)
})
