import t from 'tap'
import { mulberry32 } from '../../helpers/mulberry32.ts'
import { createPlanSim, type PlanSim, type SimJob } from './plan-sim.ts'

const STEP_MS = 5 * 60_000
/** Aging fast enough that a few hundred cycles see jobs overtake each other. */
const AGING = { stepMs: 4 * STEP_MS, maxSteps: 9 }
const MAX_RUN = 6
const NODES = [{ gpus: 8 }, { gpus: 4 }, { gpus: 4 }, { gpus: 2 }, { gpus: 1 }, { gpus: 4, cluster: 2 }, { gpus: 4, cluster: 2 }]
const SIZES = [1, 1, 1, 2, 2, 3, 4, 6, 8, 10, 12, 16]

/**
 * The documented policy, modelled apart from the planner: jobs in aged-priority order
 * (docs/scheduling.md), each tenant's quota counting its running GPUs and, in order, the GPUs
 * of its earlier jobs that passed the limits (started or waiting for GPUs); once one of its
 * jobs is over, its later ones wait too. The head of a cluster is the first job in order that
 * passes the limits: the one the starvation bound is about.
 */
function headsByCluster (sim: PlanSim, quotas: ReadonlyMap<number, number>, capacity: ReadonlyMap<number, number>): Map<number, SimJob> {
  const at = sim.now()
  const aged = (j: SimJob) => Math.max(1, j.priority - Math.min(AGING.maxSteps, Math.floor((at - j.submittedAt) / AGING.stepMs)))
  const waiting = [...sim.jobs.values()].filter(j => j.status === 'queued' || j.status === 'blocked')
    .sort((a, b) => aged(a) - aged(b) || a.submittedAt - b.submittedAt || a.id - b.id)
  const used = new Map([...quotas.keys()].map(id => [id, sim.held(id)]))
  const stopped = new Set<number>()
  const heads = new Map<number, SimJob>()
  for (const j of waiting) {
    const quota = j.tenantId === null ? Infinity : quotas.get(j.tenantId)!
    if (j.gpuCount > quota || j.gpuCount > (capacity.get(j.clusterId) ?? 0)) continue
    if (j.tenantId !== null) {
      if (stopped.has(j.tenantId)) continue
      const u = used.get(j.tenantId)! + j.gpuCount
      if (u > quota) { stopped.add(j.tenantId); continue }
      used.set(j.tenantId, u)
    }
    if (!heads.has(j.clusterId)) heads.set(j.clusterId, j)
  }
  return heads
}

function runSeed (seed: number, steps: number): string[] {
  const rnd = mulberry32(seed)
  const tenants = [1, 2, 3].map(id => ({ id, gpuQuota: 4 + Math.floor(rnd() * 13) }))
  const quotas = new Map(tenants.map(x => [x.id, x.gpuQuota]))
  const capacity = new Map<number, number>()
  for (const n of NODES) capacity.set(n.cluster ?? 1, (capacity.get(n.cluster ?? 1) ?? 0) + n.gpus)
  const sim = createPlanSim({ nodes: NODES, tenants, policy: { aging: AGING } })
  const runFor = new Map<number, number>()
  const problems: string[] = []
  let head = new Map<number, { id: number, since: number }>()
  for (let step = 1; step <= steps && problems.length === 0; step++) {
    sim.advance(STEP_MS)
    for (const j of sim.running()) if (sim.cycles() - j.startedCycle! >= runFor.get(j.id)!) sim.complete(j.id)
    for (let n = Math.floor(rnd() * 4); n > 0; n--) {
      const id = sim.submit({
        gpuCount: SIZES[Math.floor(rnd() * SIZES.length)]!, priority: 1 + Math.floor(rnd() * 10),
        tenantId: rnd() < 0.25 ? null : 1 + Math.floor(rnd() * 3), clusterId: rnd() < 0.7 ? 1 : 2,
      })
      runFor.set(id, 1 + Math.floor(rnd() * MAX_RUN))
    }
    const heads = headsByCluster(sim, quotas, capacity)
    try {
      sim.cycle()
    } catch (err) {
      problems.push(`seed ${seed} step ${step}: ${String(err)}`)
      break
    }
    for (const x of tenants) {
      if (sim.held(x.id) > x.gpuQuota) problems.push(`seed ${seed} step ${step}: tenant ${x.id} holds ${sim.held(x.id)} of quota ${x.gpuQuota}`)
    }
    const next = new Map<number, { id: number, since: number }>()
    for (const [cluster, j] of heads) {
      if (j.status === 'running') continue
      const since = head.get(cluster)?.id === j.id ? head.get(cluster)!.since : step
      // Documented bound: the free GPUs on what it reserves never drop while it waits (nothing
      // else lands there), and a job ends at most MAX_RUN + 1 cycles after it starts, so each
      // GPU it still needs frees within that.
      const bound = j.gpuCount * (MAX_RUN + 1) + 1
      if (step - since > bound) problems.push(`seed ${seed} step ${step}: job ${j.id} (${j.gpuCount} GPUs, cluster ${cluster}) at the head for ${step - since} cycles, bound ${bound}`)
      next.set(cluster, { id: j.id, since })
    }
    head = next
  }
  const started = [...sim.jobs.values()].filter(j => j.startedAt !== null).length
  if (started < steps / 2 && problems.length === 0) problems.push(`seed ${seed}: only ${started} starts`)
  return problems
}

t.test('random submits, completions and priorities: no GPU twice, no tenant over quota, the head of each cluster starts within the bound', async t => {
  const problems: string[] = []
  for (let seed = 1; seed <= 8; seed++) problems.push(...runSeed(seed, 300))
  t.same(problems.slice(0, 5), [], 'every cycle of 8 seeds × 300 steps kept the invariants')
})
