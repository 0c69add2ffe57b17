import t from 'tap'
import { rankRoute } from '../../../control-plane/fleet/rank-route.ts'
import { buildNodeViews, computeRegionHealth, gpuFreeMb } from '../../../control-plane/fleet/region-health.ts'
import type { Cluster, FleetNode, Gpu } from '../../../control-plane/store/fleet-repository.ts'

const NOW = 1_000_000
const NO_HEALTH = { xidCount: null, xidLast: null, xidLastAt: null, remappedRowsCorrectable: null, remappedRowsUncorrectable: null, remappedRowsPending: null, remappedRowsFailure: null }
const cluster: Cluster = { id: 1, name: 'c', region: 'r', status: 'active', createdAt: 0, defaultTimeLimitMin: null }
const node = (id: number): FleetNode => ({
  id, clusterId: 1, hostname: `n${id}`, ipAddress: null, totalGpus: null, cpuCores: null, ramGb: null, agentUrl: null,
  status: 'online', lastSeenAt: NOW, registeredAt: 0, drainedAt: null,
})
const gpu = (id: number, nodeId: number, r: Partial<Gpu>): Gpu => ({
  id, nodeId, gpuIndex: 0, uuid: null, model: 'H100', vramMb: null, status: 'idle', utilizationPct: null,
  memoryUsedMb: null, memoryTotalMb: null, temperatureC: null, powerDrawW: null, updatedAt: NOW, createdAt: 0,
  health: NO_HEALTH, healthAt: null, ...r,
})

function rank (gpus: Gpu[], nodes = [node(1), node(2), node(3)]) {
  const view = { clusters: [cluster], nodes, gpus }
  const views = buildNodeViews(view)
  return rankRoute(views, computeRegionHealth(view.clusters, views, NOW, 30_000), { minFreeMb: 0 }, NOW, 30_000)
}

t.test('full ties go to the lowest node id; unknown utilization ranks after known', async t => {
  const d = rank([
    gpu(1, 3, { memoryUsedMb: 0, memoryTotalMb: 100, utilizationPct: 10 }),
    gpu(2, 2, { memoryUsedMb: 0, memoryTotalMb: 100, utilizationPct: 10 }),
    gpu(3, 1, { memoryUsedMb: 0, memoryTotalMb: 100 }),
  ])
  t.same(d.candidates.map(c => c.node.id), [2, 3, 1])
  t.equal(d.reason, 'ties with n3 on free memory and utilization; lowest node id wins')
  t.equal(d.candidates[1]?.why, 'tied with n2; lower node id wins')
  t.equal(d.candidates[2]?.why, 'same free memory as n2, higher mean utilization (unknown vs 10%)')
})

t.test('a GPU without memory readings is never counted as free; vram_mb stands in for a missing total', async t => {
  t.equal(gpuFreeMb(gpu(1, 1, {})), null)
  t.equal(gpuFreeMb(gpu(1, 1, { vramMb: 80, memoryUsedMb: 30 })), 50)
  t.equal(gpuFreeMb(gpu(1, 1, { memoryTotalMb: 80, memoryUsedMb: 90 })), 0, 'never negative')
  const d = rank([gpu(1, 1, {})], [node(1)])
  t.equal(d.winner, null)
  t.equal(d.candidates[0]?.why, 'no memory readings')
})
