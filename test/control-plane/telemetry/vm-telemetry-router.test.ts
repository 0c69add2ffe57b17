import t, { type Test } from 'tap'
import { isStoreUnavailable } from '../../../control-plane/store/is-store-unavailable.ts'
import { createVmClient } from '../../../control-plane/store/vm/create-vm-client.ts'
import { createVmTelemetryRepository } from '../../../control-plane/store/vm/vm-telemetry-repository.ts'
import { startVictoriaMetrics, victoriaMetricsBinary, VM_MISSING, type TestVictoriaMetrics } from '../../setup/victoria-metrics.ts'
import { T0, seedRow, telemetryApp, type TestApp } from './telemetry-app.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const skip = victoriaMetricsBinary() === null ? VM_MISSING : false

/** The same router over the SQLite store and over VictoriaMetrics (a fresh one per test). */
async function apps (t: Test): Promise<{ sql: TestApp, vm: TestApp, server: TestVictoriaMetrics }> {
  const server = await startVictoriaMetrics()
  t.teardown(() => server.close())
  const repo = createVmTelemetryRepository({ client: createVmClient({ insertUrl: server.url, selectUrl: server.url, timeoutMs: 10_000 }), now: () => T0 })
  const sql = await telemetryApp(t)
  const vm = await telemetryApp(t, { wrapRepo: () => repo })
  return { sql, vm, server }
}

async function both (a: { sql: TestApp, vm: TestApp, server: TestVictoriaMetrics }, body: unknown): Promise<void> {
  for (const app of [a.sql, a.vm]) {
    const res = await app.post(body)
    if (res.status !== 200) throw new Error(`push failed: ${res.status} ${await res.text()}`)
  }
  await a.server.flush()
}

const json = async (app: TestApp, path: string) => {
  const res = await app.get(path)
  return { status: res.status, body: await res.json() as any }
}

t.test('GET /api/gpu-stats and power history answer as with the SQL store', { skip }, async t => {
  const a = await apps(t)
  const at = Date.UTC(2026, 3, 26, 3, 50, 0)
  // The seed's reporter (no node: node 1), then an agent with a node, cluster and region.
  for (const [ms, watts] of [[100, 1000], [600, 1500]] as const) {
    await both(a, { gpus: [0, 1].map(g => seedRow(g, { recorded_at: iso(at + ms), power_draw_w: watts })) })
  }
  await both(a, { node: { hostname: 'b', cluster: 'east', region: 'eu' }, gpus: [seedRow(0, { recorded_at: iso(at + 900), power_draw_w: null, temp_c: 51 })] })
  await both(a, { node: { hostname: 'b', cluster: 'east', region: 'eu' }, gpus: [seedRow(0, { recorded_at: iso(at + 30_000), power_draw_w: 700, uuid: 'GPU-0b' })] })

  const latest = await json(a.vm, '/api/gpu-stats')
  t.equal(latest.status, 200)
  const noId = (rows: Array<Record<string, unknown>>) => rows.map(({ id: _id, ...r }) => r)
  t.same(noId(latest.body), noId((await json(a.sql, '/api/gpu-stats')).body), 'the same rows, fields and order')
  t.ok(latest.body.every((r: { id: unknown }) => Number.isSafeInteger(r.id)), 'id: an integer')
  t.same(Object.keys(latest.body[0]), Object.keys((await json(a.sql, '/api/gpu-stats')).body[0]), 'the same keys in the same order')
  for (const q of ['?node_id=2', '?cluster_id=1', '?hostname=b']) {
    t.same(noId((await json(a.vm, `/api/gpu-stats${q}`)).body), noId((await json(a.sql, `/api/gpu-stats${q}`)).body), q)
  }

  for (const q of ['', '?bucket_minutes=1', '?bucket_minutes=60', '?bucket_minutes=1440', '?cluster_id=1', '?node_id=1', '?node_id=2', '?tz=Asia/Tokyo&days=2']) {
    const [v, s] = [await json(a.vm, `/api/gpu-stats/power-history${q}`), await json(a.sql, `/api/gpu-stats/power-history${q}`)]
    t.same(v, s, `power history ${q || '(defaults)'}`)
  }
  // Seed 000's own example: two pushes at …00.100Z and …00.600Z are two samples, 3000 W not 5000 W.
  t.same((await json(a.vm, '/api/gpu-stats/power-history?node_id=1')).body.points.map((p: { power_draw_w: number }) => p.power_draw_w), [3000])
})

t.test('a replayed push is acknowledged again and stored once', { skip }, async t => {
  const a = await apps(t)
  const body = { node: { hostname: 'a' }, gpus: [0, 1, 2].map(g => seedRow(g, { recorded_at: iso(T0 - 60_000 + 250), power_draw_w: 400 + g })) }
  for (let i = 0; i < 3; i++) t.equal((await a.vm.post(body)).status, 200, `push ${i + 1}`)
  await a.server.flush()
  const repo = createVmTelemetryRepository({ client: createVmClient({ insertUrl: a.server.url, selectUrl: a.server.url }) })
  t.equal(await repo.countSamples(), 3, 'three rows, not nine')
  t.same((await json(a.vm, '/api/gpu-stats/power-history?bucket_minutes=1')).body.points.map((p: { power_draw_w: number }) => p.power_draw_w), [1203])
})

t.test('VictoriaMetrics down: pushes answer 503 (the agent spools), reads fail as store-unavailable (503); back up, the retry is stored', { skip }, async t => {
  const a = await apps(t)
  const body = { node: { hostname: 'a' }, gpus: [seedRow(0, { recorded_at: iso(T0 - 5_000), power_draw_w: 321 })] }
  await a.server.stop()
  const res = await a.vm.post(body)
  t.equal(res.status, 503)
  t.match(await res.json(), { statusCode: 503, code: 'STORE_UNAVAILABLE' })
  t.match(a.vm.logs.find(l => l.msg === 'telemetry ingest: commit failed'), { level: 'error' }, 'logged')
  const repo = createVmTelemetryRepository({ client: createVmClient({ insertUrl: a.server.url, selectUrl: a.server.url }) })
  const err = await repo.latest().then(() => null, (e: unknown) => e)
  t.match(err, { code: 'VM_UNAVAILABLE' }, 'a read rejects')
  t.ok(isStoreUnavailable(err), 'which the control plane answers 503 STORE_UNAVAILABLE (create-control-plane.ts onError)')
  await a.server.start()
  t.same((await json(a.vm, '/api/gpu-stats')).body, [], 'nothing stored while it was down')
  t.equal((await a.vm.post(body)).status, 200, 'the spooled push, retried')
  await a.server.flush()
  t.match((await json(a.vm, '/api/gpu-stats')).body, [{ gpu_id: 0, power_draw_w: 321, hostname: 'a' }])
})

t.test('latest: a GPU silent for days is still there (wider windows for it alone), as with the SQL store', { skip }, async t => {
  const a = await apps(t)
  await both(a, { node: { hostname: 'quiet' }, gpus: [seedRow(0, { recorded_at: iso(T0 - 3 * 86_400_000 + 7), temp_c: null }), seedRow(1, { recorded_at: iso(T0 - 3 * 86_400_000 + 7) })] })
  await both(a, { node: { hostname: 'quiet' }, gpus: [seedRow(1, { recorded_at: iso(T0 - 5 * 3_600_000), power_draw_w: 1 })] })
  await both(a, { node: { hostname: 'busy' }, gpus: [seedRow(0, { recorded_at: iso(T0 - 1_000) }), seedRow(1, { recorded_at: iso(T0 + 60_000) })] })
  const noId = (rows: Array<Record<string, unknown>>) => rows.map(({ id: _id, ...r }) => r)
  const vm = noId((await json(a.vm, '/api/gpu-stats')).body)
  t.same(vm, noId((await json(a.sql, '/api/gpu-stats')).body))
  t.same(vm.map(r => [r.hostname, r.gpu_id, r.recorded_at, r.temp_c]), [
    ['quiet', 0, '2026-04-23T04:00:00.007+00:00', null],
    ['quiet', 1, '2026-04-25T23:00:00+00:00', 47],
    ['busy', 0, '2026-04-26T03:59:59+00:00', 47],
    ['busy', 1, '2026-04-26T04:01:00+00:00', 47],
  ], 'three days old, five hours old, now, and a minute ahead of the server clock')
})

t.test('filters with MetricsQL\'s special characters are values, never syntax', { skip }, async t => {
  const a = await apps(t)
  const odd = 'gpu"a\\b{c}=~.*|\'d é'
  await both(a, { node: { hostname: odd }, gpus: [seedRow(0, { recorded_at: iso(T0 - 2_000) })] })
  await both(a, { node: { hostname: 'plain' }, gpus: [seedRow(0, { recorded_at: iso(T0 - 2_000) })] })
  for (const hostname of [odd, '.*', '"} or vector(1) #', 'plain\\']) {
    const q = `/api/gpu-stats?hostname=${encodeURIComponent(hostname)}`
    const [v, s] = [await json(a.vm, q), await json(a.sql, q)]
    t.equal(v.status, s.status, `${hostname}: same status`)
    t.same(v.body.map((r: { hostname: string }) => r.hostname), s.body.map((r: { hostname: string }) => r.hostname), `${hostname}: same rows`)
  }
})

t.test('a tick split over two pushes (an agent\'s backlog cut by row count) counts whole', { skip }, async t => {
  const a = await apps(t)
  const at = T0 - 10 * 60_000
  const push = (gpus: number[], ms: number, watts: number) => both(a, { node: { hostname: 'split', cluster: 'c' }, gpus: gpus.map(g => seedRow(g, { recorded_at: iso(at + ms), power_draw_w: watts })) })
  await push([0, 1, 2], 100, 300)
  await push([3, 4, 5], 100, 300)
  await push([6, 7], 100, 300)
  // A later tick in another second with less power, then one of its halves replayed.
  await push([0, 1, 2, 3, 4, 5, 6, 7], 5_100, 100)
  await push([0, 1, 2, 3, 4, 5, 6, 7], 5_100, 100)
  await both(a, { node: { hostname: 'other', cluster: 'c' }, gpus: [seedRow(0, { recorded_at: iso(at + 400), power_draw_w: 50 })] })
  for (const q of ['?bucket_minutes=1', '?node_id=2&bucket_minutes=1', '?cluster_id=2&bucket_minutes=1', '?bucket_minutes=1440']) {
    const [v, s] = [await json(a.vm, `/api/gpu-stats/power-history${q}`), await json(a.sql, `/api/gpu-stats/power-history${q}`)]
    t.same(v.body.points, s.body.points, q)
  }
  t.same((await json(a.vm, '/api/gpu-stats/power-history?node_id=2&bucket_minutes=1')).body.points.map((p: { power_draw_w: number }) => p.power_draw_w), [2400], '8 × 300 W')
  t.same((await json(a.vm, '/api/gpu-stats/power-history?bucket_minutes=1')).body.points.map((p: { power_draw_w: number }) => p.power_draw_w), [2450], 'with the other node in that second')
})
