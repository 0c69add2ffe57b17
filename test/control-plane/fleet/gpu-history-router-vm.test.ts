import t, { type Test } from 'tap'
import { createGpuHistoryRouter } from '../../../control-plane/fleet/create-gpu-history-router.ts'
import { createGpuHistoryLoop } from '../../../control-plane/loops/create-gpu-history-loop.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { createVmClient } from '../../../control-plane/store/vm/create-vm-client.ts'
import { createVmTelemetryRepository } from '../../../control-plane/store/vm/vm-telemetry-repository.ts'
import { withVmTelemetry } from '../../../control-plane/store/vm/with-vm-telemetry.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING } from '../../setup/victoria-metrics.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { point, reading } from './gpu-history-points.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const skip = victoriaMetricsBinary() === null ? VM_MISSING : false

/** Averages to 0.01 (VictoriaMetrics sums in float64 in another order), the rest exactly. */
function near (t: Test, got: Record<string, unknown> | undefined, want: Record<string, unknown>, msg: string): void {
  const off = Object.entries(want).filter(([k, v]) => {
    const g = got?.[k]
    return typeof v === 'number' && typeof g === 'number' ? Math.abs(v - g) >= 0.01 : v !== g
  })
  t.same(off.map(([k, v]) => `${k}: ${String(got?.[k])} vs ${String(v)}`), [], msg)
}

/** The router over a SQLite store with telemetry in a fresh VictoriaMetrics; two hours of samples up to T0, no loop run. */
async function setup (t: Test) {
  const vm = await startVictoriaMetrics()
  t.teardown(() => vm.close())
  const sql = await openSqliteStore(':memory:')
  t.teardown(() => sql.close())
  const client = createVmClient({ insertUrl: vm.url, selectUrl: vm.url, timeoutMs: 10_000 })
  const store = withVmTelemetry(sql, createVmTelemetryRepository({ client, now: () => T0 }), client, () => T0)
  const h = await cpHarness(t, {
    store,
    routers: [{ path: '/', router: ctx => createGpuHistoryRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now }) }],
  })
  const c = await addCluster(h.store, 'c', [{ gpus: 2 }, { gpus: 1 }], T0 - 3 * HOUR)
  const nodeId = c.nodes[0]!.id
  const rows: GpuSample[] = []
  for (let at = T0 - 2 * HOUR; at <= T0; at += 10_000) rows.push(reading(0, at), reading(1, at))
  await h.store.telemetry.insertSamples([{ nodeId, clusterId: c.clusterId, hostname: 'c-node', samples: rows }])
  await vm.flush()
  const get = (path: string, key = h.root) => h.req('GET', path, { key })
  return { h, c, nodeId, rows, get, vm }
}

t.test('GET /api/nodes/:id/gpu-history in VictoriaMetrics mode: each range through MetricsQL, no loop needed', { skip }, async t => {
  const { nodeId, rows, get, h, vm } = await setup(t)
  t.equal(await h.store.gpuHistory.watermark(), null, 'nothing stored')

  const hour = await get(`/api/nodes/${nodeId}/gpu-history?range=1h`)
  t.equal(hour.status, 200)
  t.match(hour.body, { node_id: nodeId, range: '1h', step_seconds: 60, from: new Date(T0 - HOUR).toISOString(), to: new Date(T0).toISOString() })
  t.same(hour.body.gpus.map((g: any) => [g.gpu_index, g.model]), [[0, 'NVIDIA H100 80GB HBM3'], [1, 'NVIDIA H100 80GB HBM3']], 'GPUs by index')
  t.equal(hour.body.gpus[0].points.length, 61, 'a point per minute, the current one included')
  near(t, hour.body.gpus[1].points[10], point(rows, 1, T0 - 50 * MIN, T0 - 49 * MIN), 'a minute as its raw rows average')
  near(t, hour.body.gpus[0].points.at(-1), point(rows, 0, T0, T0 + 1), 'the current minute so far')

  const day = await get(`/api/nodes/${nodeId}/gpu-history?range=24h`)
  t.equal(day.body.step_seconds, 300)
  const pts = day.body.gpus[0].points
  t.equal(pts.length, 25, 'two hours and the current bucket')
  t.equal(pts[0].at, new Date(T0 - 2 * HOUR).toISOString(), 'starts where the rows do')
  near(t, pts.find((p: any) => p.at === new Date(T0 - HOUR).toISOString()), point(rows, 0, T0 - HOUR, T0 - HOUR + 5 * MIN), 'a 5-minute bucket')
  near(t, pts.at(-1), point(rows, 0, T0, T0 + 1), 'the current bucket so far')

  const week = await get(`/api/nodes/${nodeId}/gpu-history?range=7d&gpu=1`)
  t.equal(week.body.step_seconds, 3600)
  t.same(week.body.gpus.map((g: any) => g.gpu_index), [1], 'one GPU')
  near(t, week.body.gpus[0].points[0], point(rows, 1, T0 - 2 * HOUR, T0 - 90 * MIN, T0 - 150 * MIN), 'the first hour: its half with rows')
  near(t, week.body.gpus[0].points[1], point(rows, 1, T0 - 90 * MIN, T0 - 30 * MIN), 'a whole hour')
  near(t, week.body.gpus[0].points.at(-1), point(rows, 1, T0 - 30 * MIN, T0 + 1), 'the current hour')

  const month = await get(`/api/nodes/${nodeId}/gpu-history?range=30d&gpu=0`)
  t.equal(month.body.step_seconds, 10_800)
  t.equal(month.body.gpus[0].points.length, 2, '3-hour buckets, UTC-aligned')
  near(t, month.body.gpus[0].points[0], point(rows, 0, T0 - 2 * HOUR, T0 - 30 * MIN, T0 - 210 * MIN), 'the first 3 hours')
  near(t, month.body.gpus[0].points[1], point(rows, 0, T0 - 30 * MIN, T0 + 1), 'the current 3 hours')

  const other = await get(`/api/nodes/${nodeId + 1}/gpu-history?range=1h`)
  t.same(other.body.gpus.map((g: any) => [g.gpu_index, g.points.length]), [[0, 0]], 'a registered GPU without samples: no points')

  // A GPU with samples but not registered is known through VictoriaMetrics' series (gpuIds).
  await h.store.telemetry.insertSamples([{ nodeId: nodeId + 1, clusterId: null, hostname: 'c-node-2', samples: [reading(3, T0 - 20 * HOUR)] }])
  await vm.flush()
  const unregistered = await get(`/api/nodes/${nodeId + 1}/gpu-history?range=1h&gpu=3`)
  t.equal(unregistered.status, 200, 'gpu=3: known though outside the range')
  t.same(unregistered.body.gpus.map((g: any) => [g.gpu_index, g.model, g.points.length]), [[3, null, 0]])
  t.same((await get(`/api/nodes/${nodeId + 1}/gpu-history?range=24h`)).body.gpus.map((g: any) => [g.gpu_index, g.points.length]), [[0, 0], [3, 1]])

  // The leader's loop (productParts runs it in every mode): its passes do nothing and do not fail.
  const loop = createGpuHistoryLoop({ store: h.store, now: () => T0 })
  t.match(await loop.tick(), { written: 0, minutes: 0, dirtyRebuilt: 0, pruned: 0, minutesPruned: 0 })
})

t.test('gpu-history in VictoriaMetrics mode: bad inputs 400/404, VictoriaMetrics down 503', { skip }, async t => {
  const { nodeId, get, vm } = await setup(t)
  for (const q of ['range=2h', 'gpu=abc', 'gpu=-1', 'gpu=99999']) isError(t, await get(`/api/nodes/${nodeId}/gpu-history?${q}`), 400, 'VALIDATION_FAILED', q)
  isError(t, await get('/api/nodes/999/gpu-history'), 404, 'NODE_NOT_FOUND')
  isError(t, await get(`/api/nodes/${nodeId}/gpu-history?gpu=7`), 404, 'GPU_NOT_FOUND')
  await vm.stop()
  isError(t, await get(`/api/nodes/${nodeId}/gpu-history?range=1h`), 503, 'STORE_UNAVAILABLE', 'VictoriaMetrics not answering')
  await vm.start()
  t.equal((await get(`/api/nodes/${nodeId}/gpu-history?range=1h`)).status, 200, 'back up')
})
