import t from 'tap'
import { createPlanSim } from './plan-sim.ts'
import { schedulingHarness } from './scheduling-harness.ts'

// Issue 14, starvation 1: nodes A=8, B=C=D=4, all busy; X1 (8, prio 1) reserves A; X2 (6, prio 1)
// finds no node big enough to reserve; Y (10, prio 2) spans nodes and must still reserve B, C, D
// (before, X2's failure cut Y's reservation short and twelve 1-GPU prio-10 jobs took B, C, D).
t.test('a job larger than any node reserves nodes even after a one-node request found none', async t => {
  const sim = createPlanSim({ nodes: [{ gpus: 8 }, { gpus: 4 }, { gpus: 4 }, { gpus: 4 }] })
  const fillers = Array.from({ length: 20 }, () => sim.submit({ gpuCount: 1, priority: 5 }))
  sim.cycle()
  t.equal(sim.running().length, 20, 'the fleet is full')
  const x1 = sim.submit({ gpuCount: 8, priority: 1 })
  const x2 = sim.submit({ gpuCount: 6, priority: 1 })
  const y = sim.submit({ gpuCount: 10, priority: 2 })
  const onSmallNodes = fillers.filter(id => sim.jobs.get(id)!.nodes[0] !== 1)
  t.equal(onSmallNodes.length, 12)
  const small: number[] = []
  for (let round = 0; round < 12; round++) {
    sim.advance(10_000)
    sim.complete(onSmallNodes[round]!)
    small.push(sim.submit({ gpuCount: 1, priority: 10 }))
    sim.cycle()
    const yJob = sim.jobs.get(y)!
    if (yJob.status === 'running') break
    t.equal(yJob.pendingReason, 'CAPACITY', `round ${round + 1}: Y waits for GPUs`)
    t.same(small.filter(id => sim.jobs.get(id)!.status === 'running'), [], `round ${round + 1}: nothing lower takes Y's GPUs`)
  }
  t.equal(sim.jobs.get(y)!.status, 'running', 'Y runs once B, C and D have drained')
  t.same(sim.jobs.get(y)!.nodes.sort(), [2, 3, 4])
  t.match(sim.jobs.get(x1), { status: 'queued', pendingReason: 'CAPACITY' })
  t.match(sim.jobs.get(x2), { status: 'queued' })
})

t.test('the same scenario through the API and the store-backed scheduler', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }, { gpus: 4 }, { gpus: 4 }, { gpus: 4 }])
  const submit = async (gpuCount: number, priority: number): Promise<number> =>
    (await h.submit({ cluster_id: c.clusterId, name: `p${priority}-${gpuCount}`, gpu_count: gpuCount, priority })).body.id as number
  const fillers: number[] = []
  for (let i = 0; i < 20; i++) fillers.push(await submit(1, 5))
  await h.settle()
  const nodeA = c.nodes[0]!.id
  const onSmallNodes: number[] = []
  for (const id of fillers) {
    const j = await h.job(id)
    t.equal(j.status, 'running')
    if (j.node_id !== nodeA) onSmallNodes.push(id)
  }
  t.equal(onSmallNodes.length, 12)
  await submit(8, 1)
  await submit(6, 1)
  const y = await submit(10, 2)
  await h.settle()
  const small: number[] = []
  for (const filler of onSmallNodes) {
    await h.req('PATCH', `/api/jobs/${filler}`, { body: { status: 'completed' } })
    small.push(await submit(1, 10))
    await h.settle()
    if ((await h.job(y)).status === 'running') break
  }
  t.equal((await h.job(y)).status, 'running', 'Y runs once B, C and D have drained')
  const smallRunning = []
  for (const id of small) if ((await h.job(id)).status === 'running') smallRunning.push(id)
  t.ok(smallRunning.length <= 2, `only the GPUs Y left took 1-GPU jobs (${smallRunning.length})`)
  t.same(h.checker.violations, [], `invariants held over ${h.checker.checks()} cycles`)
})

// Issue 14, starvation 2: tenant T (quota 8) waits with an 8-GPU priority-1 job on a full fleet;
// each round one job ends (on A and B in turn) and T and another tenant O each submit a 1-GPU
// priority-5 job. Before, T's small jobs started on B, T's big job flipped to QUOTA, dropped its
// reservation of A, and O refilled A, round after round.
t.test('a job at the head of its tenant\'s line keeps its reservation and its quota headroom', async t => {
  const T = 1
  const O = 2
  const sim = createPlanSim({ nodes: [{ gpus: 8 }, { gpus: 8 }], tenants: [{ id: T, gpuQuota: 8 }, { id: O, gpuQuota: 1000 }] })
  for (let i = 0; i < 16; i++) sim.submit({ gpuCount: 1, priority: 5, tenantId: O })
  sim.cycle()
  const big = sim.submit({ gpuCount: 8, priority: 1, tenantId: T })
  sim.cycle()
  const reasons = new Set<string>()
  let rounds = 0
  for (; rounds < 60 && sim.jobs.get(big)!.status !== 'running'; rounds++) {
    sim.advance(10_000)
    const node = rounds % 2 + 1
    const ending = sim.running().find(j => j.nodes.includes(node)) ?? sim.running()[0]
    if (ending !== undefined) sim.complete(ending.id)
    sim.submit({ gpuCount: 1, priority: 5, tenantId: T })
    sim.submit({ gpuCount: 1, priority: 5, tenantId: O })
    sim.cycle()
    const j = sim.jobs.get(big)!
    if (j.pendingReason !== null) reasons.add(j.pendingReason)
    t.ok(sim.held(T) <= 8, 'T stays within its quota')
  }
  t.equal(sim.jobs.get(big)!.status, 'running', `the 8-GPU job started (after ${rounds} rounds)`)
  t.same([...reasons], ['CAPACITY'], 'it waited for GPUs only, never on its own tenant\'s quota')
})
