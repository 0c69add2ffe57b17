import t, { type Test } from 'tap'
import { createGpuHistoryRouter } from '../../../control-plane/fleet/create-gpu-history-router.ts'
import { createGpuHistoryLoop } from '../../../control-plane/loops/create-gpu-history-loop.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { point, reading } from './gpu-history-points.ts'

const MIN = 60_000
const HOUR = 60 * MIN

async function setup (t: Test) {
  const h = await cpHarness(t, {
    routers: [{ path: '/', router: ctx => createGpuHistoryRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now }) }],
  })
  const c = await addCluster(h.store, 'c', [{ gpus: 2 }, { gpus: 1 }], T0 - 3 * HOUR)
  const nodeId = c.nodes[0]!.id
  // Two hours of 10-second samples up to now (T0 is 00:30 UTC), for both GPUs.
  const rows: GpuSample[] = []
  for (let at = T0 - 2 * HOUR; at <= T0; at += 10_000) rows.push(reading(0, at), reading(1, at))
  await h.store.telemetry.insertSamples([{ nodeId, clusterId: c.clusterId, hostname: 'c-node', samples: rows }])
  // The loop ran at 23:05 (backfilling its hour of lookback), 00:00 and 00:30: the watermark is 00:25.
  let clock = 0
  const loop = createGpuHistoryLoop({ store: h.store, now: () => clock })
  for (const at of [T0 - 85 * MIN, T0 - 30 * MIN, T0]) {
    clock = at
    await loop.tick()
  }
  t.equal(await h.store.gpuHistory.watermark(), T0 - 5 * MIN)
  const get = (path: string, key = h.root) => h.req('GET', path, { key })
  return { h, c, nodeId, rows, get }
}

t.test('GET /api/nodes/:id/gpu-history: each range, from rollups and the newest raw rows', async t => {
  const { nodeId, rows, get, h } = await setup(t)

  const hour = await get(`/api/nodes/${nodeId}/gpu-history?range=1h`)
  t.equal(hour.status, 200)
  t.match(hour.body, { node_id: nodeId, hostname: String, range: '1h', step_seconds: 60, from: new Date(T0 - HOUR).toISOString(), to: new Date(T0).toISOString() })
  t.same(hour.body.gpus.map((g: any) => [g.gpu_index, g.model]), [[0, 'NVIDIA H100 80GB HBM3'], [1, 'NVIDIA H100 80GB HBM3']], 'GPUs by index')
  t.equal(hour.body.gpus[0].points.length, 61, 'a point per minute, the current one included')
  t.same(hour.body.gpus[1].points[10], point(rows, 1, T0 - 50 * MIN, T0 - 49 * MIN), 'a minute as its raw rows average')

  const day = await get(`/api/nodes/${nodeId}/gpu-history?range=24h`)
  t.equal(day.body.step_seconds, 300)
  const pts = day.body.gpus[0].points
  t.equal(pts[0].at, new Date(T0 - 2 * HOUR).toISOString(), 'starts where the rows do')
  t.same(pts.find((p: any) => p.at === new Date(T0 - HOUR).toISOString()), point(rows, 0, T0 - HOUR, T0 - HOUR + 5 * MIN), 'a stored 5-minute bucket')
  t.same(pts.at(-2), point(rows, 0, T0 - 5 * MIN, T0), 'past the watermark: from raw rows')
  t.same(pts.at(-1), point(rows, 0, T0, T0 + 1), 'the current bucket so far')
  t.equal(pts.length, 25, 'two hours and the current bucket')
  t.same((await get(`/api/nodes/${nodeId}/gpu-history`)).body, day.body, 'range defaults to 24h')

  const week = await get(`/api/nodes/${nodeId}/gpu-history?range=7d&gpu=1`)
  t.equal(week.body.step_seconds, 3600)
  t.same(week.body.gpus.map((g: any) => g.gpu_index), [1], 'one GPU')
  t.same(week.body.gpus[0].points.at(-1), point(rows, 1, T0 - 30 * MIN, T0 + 1), 'the current hour: its stored part and the raw tail')
  t.same(week.body.gpus[0].points[0], point(rows, 1, T0 - 2 * HOUR, T0 - 90 * MIN, T0 - 150 * MIN), 'the first hour: its half with rows')
  t.same(week.body.gpus[0].points[1], point(rows, 1, T0 - 90 * MIN, T0 - 30 * MIN), 'a whole hour')

  const month = await get(`/api/nodes/${nodeId}/gpu-history?range=30d&gpu=0`)
  t.equal(month.body.step_seconds, 10_800)
  t.same(month.body.gpus[0].points, [point(rows, 0, T0 - 2 * HOUR, T0 - 30 * MIN, T0 - 210 * MIN), point(rows, 0, T0 - 30 * MIN, T0 + 1)], '3-hour buckets, UTC-aligned')

  const other = await get(`/api/nodes/${nodeId + 1}/gpu-history?range=1h`)
  t.same(other.body.gpus.map((g: any) => [g.gpu_index, g.points.length]), [[0, 0]], 'a registered GPU without samples: no points')
  const reader = await h.mint(['read'])
  t.equal((await get(`/api/nodes/${nodeId}/gpu-history?range=1h`, reader.key)).status, 200, 'read scope is enough')
})

t.test('gpu-history: every bad input is a 400 with a stable code, unknown ones 404, nothing else', async t => {
  const { nodeId, get, h } = await setup(t)
  for (const q of ['range=2h', 'range=', 'range=24H', 'gpu=abc', 'gpu=-1', 'gpu=1.5', 'gpu=1e2', 'gpu=99999', 'gpu=', 'range=1h&gpu=0x1']) {
    isError(t, await get(`/api/nodes/${nodeId}/gpu-history?${q}`), 400, 'VALIDATION_FAILED', q)
  }
  for (const id of ['abc', '-1', '1.5', '1e3', '9999999999999999']) isError(t, await get(`/api/nodes/${id}/gpu-history`), 400, 'VALIDATION_FAILED', `id ${id}`)
  isError(t, await get('/api/nodes/999/gpu-history'), 404, 'NODE_NOT_FOUND')
  isError(t, await get(`/api/nodes/${nodeId}/gpu-history?gpu=7`), 404, 'GPU_NOT_FOUND')
  isError(t, await h.req('GET', `/api/nodes/${nodeId}/gpu-history`), 401, 'UNAUTHORIZED')
  const tenant = await h.mint(['read'], { tenant_id: 3 })
  isError(t, await get(`/api/nodes/${nodeId}/gpu-history`, tenant.key), 403, 'FORBIDDEN')
  const ingest = await h.mint(['ingest'])
  isError(t, await get(`/api/nodes/${nodeId}/gpu-history`, ingest.key), 403, 'FORBIDDEN')
})
