import t, { type Test } from 'tap'
import { T0, fleetHarness } from './fleet-harness.ts'

async function setup (t: Test) {
  const h = fleetHarness()
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c', region: 'r' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01' })
  await h.post('/api/clusters/gpus', { node_id: 1, gpus: [0, 1, 2, 3, 4].map(i => ({ gpu_index: i, model: 'NVIDIA H100 80GB', uuid: `GPU-${i}` })) })
  const gpu = async (id: number) => (await h.store.fleet.listGpus({ ids: [id] }))[0]
  return { h, gpu }
}

t.test('seed example: readings stored, status by the > 10 % threshold', async t => {
  const { h, gpu } = await setup(t)
  const res = await h.post('/api/clusters/metrics', {
    metrics: [
      { gpu_id: 1, utilization_pct: 87.3, memory_used_mb: 71680, memory_total_mb: 81920, temperature_c: 72.1, power_draw_w: 410.5 },
      { gpu_id: 2, utilization_pct: 10 },
      { gpu_id: 3, utilization_pct: 10.1 },
      { gpu_id: 4, utilization_pct: 0 },
      { gpu_id: 5, utilization_pct: null },
    ],
  }, 'ingest')
  t.equal(res.status, 200)
  t.same(res.body, { ok: true, updated: 5, skipped: [] })
  t.match(await gpu(1), { status: 'active', utilizationPct: 87.3, memoryUsedMb: 71680, memoryTotalMb: 81920, temperatureC: 72.1, powerDrawW: 410.5, updatedAt: T0 })
  t.equal((await gpu(2))?.status, 'idle', '10 % is idle')
  t.equal((await gpu(3))?.status, 'active', '10.1 % is active')
  t.equal((await gpu(4))?.status, 'idle')
  t.equal((await gpu(5))?.status, 'unknown', 'no utilization is unknown, never idle (issue 11: MIG GPUs report none)')

  await h.post('/api/clusters/metrics', { metrics: [{ gpu_id: 1, utilization_pct: 5 }] })
  t.match(await gpu(1), { status: 'idle', utilizationPct: 5, memoryUsedMb: 71680, temperatureC: 72.1 }, 'absent fields keep their value')
  await h.post('/api/clusters/metrics', { metrics: [{ gpu_id: 1, temperature_c: null }] })
  t.equal((await gpu(1))?.temperatureC, null, 'null clears a reading')
})

t.test('fail-soft per row (seed 000): bad or unknown rows are skipped and listed, the rest apply', async t => {
  const { h, gpu } = await setup(t)
  const res = await h.post('/api/clusters/metrics', {
    metrics: [
      { gpu_id: 1, utilization_pct: 50 },
      { gpu_id: 2, utilization_pct: 101 },
      { gpu_id: 3, temperature_c: 1e308 },
      { gpu_id: 4, power_draw_w: -1 },
      { gpu_id: 5, memory_used_mb: 1e12 },
      { gpu_id: 999, utilization_pct: 50 },
      { utilization_pct: 50 },
      { gpu_id: 'abc' },
      null,
      [1, 2],
      { gpu_id: 2, utilization_pct: 'high' },
      { gpu_id: -2 },
      { gpu_id: 5, utilization_pct: 20 },
    ],
  })
  t.equal(res.status, 200)
  t.equal(res.body.ok, true)
  t.equal(res.body.updated, 2)
  t.same(res.body.skipped.map((s: { index: number, gpu_id: number | null }) => [s.index, s.gpu_id]),
    [[1, 2], [2, 3], [3, 4], [4, 5], [5, 999], [6, null], [7, null], [8, null], [9, null], [10, 2], [11, -2]])
  t.match(res.body.skipped[0].reason, /^utilization_pct: /)
  t.equal(res.body.skipped[4].reason, 'gpu_id: unknown GPU')
  t.equal((await gpu(1))?.utilizationPct, 50)
  t.equal((await gpu(2))?.utilizationPct, null, 'skipped row wrote nothing')
  t.equal((await gpu(3))?.temperatureC, null)
  t.equal((await gpu(5))?.utilizationPct, 20, 'a later good row for the same GPU applies')
  t.equal((await gpu(5))?.memoryUsedMb, null)
})

t.test('repeated gpu_id in one request: rows merge in order, one write', async t => {
  const { h, gpu } = await setup(t)
  const res = await h.post('/api/clusters/metrics', { metrics: [{ gpu_id: 1, utilization_pct: 90, memory_used_mb: 10 }, { gpu_id: 1, utilization_pct: 5 }] })
  t.same(res.body, { ok: true, updated: 1, skipped: [] })
  t.match(await gpu(1), { utilizationPct: 5, memoryUsedMb: 10, status: 'idle' })
})

t.test('metrics mark the node seen and bring it back online; samples handed to telemetry', async t => {
  const { h } = await setup(t)
  h.clock.set(T0 + 200_000)
  await h.store.fleet.markStaleNodesOffline(T0 + 1, T0 + 100_000)
  t.equal((await h.store.fleet.getNode(1))?.status, 'offline')
  await h.post('/api/clusters/metrics', { metrics: [{ gpu_id: 2, utilization_pct: 42, memory_used_mb: 1000, memory_total_mb: 81920, temperature_c: 50, power_draw_w: 300 }] })
  t.match(await h.store.fleet.getNode(1), { status: 'online', lastSeenAt: T0 + 200_000 })
  t.same((await h.store.fleet.listNodeEvents()).map(e => e.kind), ['registered', 'offline', 'online'])
  t.same(h.samples, [{
    nodeId: 1, clusterId: 1, gpuId: 2,
    row: {
      gpu_id: 1, name: 'NVIDIA H100 80GB', uuid: 'GPU-1', utilization_pct: 42, memory_used_mb: 1000, memory_total_mb: 81920,
      temp_c: 50, power_draw_w: 300, recorded_at: new Date(T0 + 200_000).toISOString(),
    },
  }])
})
