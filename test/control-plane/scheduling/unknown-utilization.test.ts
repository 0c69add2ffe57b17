import t from 'tap'
import { createFleetService } from '../../../control-plane/fleet/create-fleet-service.ts'
import { schedulingHarness } from './scheduling-harness.ts'

/**
 * Issue 11, "unknown is not idle": a MIG-enabled H100 under load prints utilization.gpu [N/A]
 * while drawing 432 W (the real capture, linux-x86_64__nvidia-h100-mig__590.48.01.txt). Its
 * agent pushes utilization_pct null; the control plane must not take that GPU for a free one.
 */
t.test('a GPU whose newest reading has no utilization is unknown and never placed; it is free again once a reading says idle', async t => {
  const h = await schedulingHarness(t)
  await h.settle()
  const c = await h.cluster('mig', [{ gpus: 2 }])
  const node = c.nodes[0]!
  const fleet = createFleetService({ store: h.store, now: h.clock.now })
  // What telemetry ingest hands the fleet: GPU 0 as the MIG capture under load, GPU 1 busy.
  await fleet.recordActivity(node.id, [
    { gpu_id: 0, name: 'NVIDIA H100 80GB HBM3', utilization_pct: null, memory_used_mb: 11125, memory_total_mb: 81559, temp_c: 52, power_draw_w: 432 },
    { gpu_id: 1, name: 'NVIDIA H100 80GB HBM3', utilization_pct: 97, memory_used_mb: 70000, memory_total_mb: 81559, temp_c: 60, power_draw_w: 650 },
  ], h.clock.now())
  const gpus = await h.store.fleet.listGpus({ nodeId: node.id })
  t.same(gpus.map(g => [g.gpuIndex, g.status]), [[0, 'unknown'], [1, 'active']], 'stored status')

  const res = await h.submit({ cluster_id: c.clusterId, name: 'needs-one-gpu', gpu_count: 1 })
  t.equal(res.status, 201)
  await h.settle()
  t.match(await h.job(res.body.id), { status: 'queued', pending_reason: 'CAPACITY' }, 'the 432 W GPU with [N/A] utilization is not free')

  const map = await h.req('GET', `/api/dashboard/gpu-allocation?cluster_id=${c.clusterId}`)
  t.equal(map.status, 200)
  t.match(map.body.gpus[0], { gpu_index: 0, status: 'unknown', utilization_pct: null, allocated: false }, 'the allocation map says unknown, not idle')

  await h.clock.advance(2000)
  await fleet.recordActivity(node.id, [{ gpu_id: 0, utilization_pct: 0, memory_used_mb: 0, power_draw_w: 70 }], h.clock.now())
  t.equal((await h.store.fleet.listGpus({ nodeId: node.id }))[0]?.status, 'idle', 'a real 0 % reading is idle')
  h.scheduler.poke('test')
  await h.settle()
  t.match(await h.job(res.body.id), { status: 'running' }, 'and then it is placed')
})
