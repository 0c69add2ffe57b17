import { ANY_GPU_TYPE, gpuTypeKey, gpuTypeMatches } from '../../../control-plane/scheduling/gpu-type-matches.ts'
import { statusForReason } from '../../../control-plane/scheduling/status-for-reason.ts'
import type { Store } from '../../../control-plane/store/store.ts'

/**
 * The scheduler's invariants, read back through the repositories after every cycle:
 * - no GPU is held by two jobs, and only running jobs hold GPUs;
 * - a running job holds exactly gpu_count GPUs, on one node whenever one online node of its
 *   cluster has enough matching GPUs of one model; all of one model unless gpu_type is "any";
 *   it has no pending reason;
 * - every waiting job has a typed pending reason, and its status is the one for that reason;
 * - an ended job holds nothing;
 * - a tenant's held GPUs never rise above its quota (a quota lowered under running jobs may
 *   leave it above, but then no cycle may raise it further).
 */
export function createInvariantChecker (store: Store) {
  const violations: string[] = []
  let previous = new Map<number, number>()
  // Placement is judged once, in the check after the cycle that started the job: an offline
  // node that returns later does not make an earlier spread wrong.
  const placementChecked = new Set<number>()
  let checks = 0

  async function check (): Promise<void> {
    checks++
    const [{ jobs }, alloc, tenants, gpus] = await Promise.all([
      store.jobs.list({ limit: 1_000_000, offset: 0 }), store.jobs.allocation({}), store.tenants.list(), store.fleet.listGpus(),
    ])
    const fail = (msg: string) => { violations.push(`check ${checks}: ${msg}`) }
    const byId = new Map(jobs.map(j => [j.id, j]))
    const modelOf = new Map(alloc.map(r => [r.gpuId, r.model]))
    const seen = new Set<number>()
    const heldBy = new Map<number, Array<{ gpuId: number, nodeId: number }>>()
    for (const row of alloc) {
      if (seen.has(row.gpuId)) fail(`GPU ${row.gpuId} held twice`)
      seen.add(row.gpuId)
      if (row.job === null) continue
      const list = heldBy.get(row.job.id) ?? []
      list.push({ gpuId: row.gpuId, nodeId: row.nodeId })
      heldBy.set(row.job.id, list)
    }
    const heldByTenant = new Map<number, number>()
    for (const j of jobs) {
      const held = heldBy.get(j.id) ?? []
      if (j.status === 'running') {
        if (held.length !== j.gpuCount) fail(`job ${j.id} runs on ${held.length} GPUs, asked ${j.gpuCount}`)
        if (j.pendingReason !== null) fail(`running job ${j.id} has pending_reason ${j.pendingReason}`)
        if (j.tenantId !== null) heldByTenant.set(j.tenantId, (heldByTenant.get(j.tenantId) ?? 0) + held.length)
        const nodes = new Set(held.map(h => h.nodeId))
        const key = gpuTypeKey(j.gpuType)
        const firstLook = !placementChecked.has(j.id)
        placementChecked.add(j.id)
        if (firstLook && nodes.size > 1) {
          // Per online node and model ("any": per online node); an offline node may never return.
          const perNode = new Map<string, number>()
          const clusterNodes = new Set(alloc.filter(r => r.clusterId === j.clusterId && r.nodeStatus === 'online').map(r => r.nodeId))
          for (const g of gpus) {
            if (!clusterNodes.has(g.nodeId) || !gpuTypeMatches(key, g.model)) continue
            const k = key === ANY_GPU_TYPE ? `${g.nodeId}` : `${g.nodeId}/${g.model}`
            perNode.set(k, (perNode.get(k) ?? 0) + 1)
          }
          const fitsOne = [...perNode.values()].some(n => n >= j.gpuCount)
          if (fitsOne) fail(`job ${j.id} spans ${nodes.size} nodes though one node could hold it`)
        }
        if (firstLook && key !== ANY_GPU_TYPE && new Set(held.map(h => modelOf.get(h.gpuId))).size > 1) fail(`job ${j.id} runs on mixed GPU models`)
      } else if (j.status === 'queued' || j.status === 'blocked') {
        if (held.length > 0) fail(`waiting job ${j.id} holds GPUs`)
        if (j.pendingReason === null) fail(`waiting job ${j.id} has no pending_reason`)
        else if (statusForReason(j.pendingReason) !== j.status) fail(`job ${j.id} is ${j.status} with ${j.pendingReason}`)
      } else {
        if (held.length > 0) fail(`ended job ${j.id} holds GPUs`)
        if (j.pendingReason !== null) fail(`ended job ${j.id} has pending_reason`)
      }
    }
    for (const h of heldBy.keys()) if (byId.get(h)?.status !== 'running') fail(`GPU held by job ${h}, which is not running`)
    for (const t of tenants) {
      const held = heldByTenant.get(t.id) ?? 0
      if (held !== t.gpusInUse) fail(`tenant ${t.id}: gpus_in_use ${t.gpusInUse} but ${held} held`)
      if (held > t.gpuQuota && held > (previous.get(t.id) ?? 0)) fail(`tenant ${t.id} holds ${held} GPUs, quota ${t.gpuQuota}`)
    }
    previous = heldByTenant
  }

  return { violations, check, checks: () => checks }
}
