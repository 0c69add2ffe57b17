import t from 'tap'
import { DAY, T0, seedRow, telemetryApp } from './telemetry-app.ts'
import { GPU_STATS_BODY_LIMIT_BYTES } from '../../../control-plane/telemetry/create-telemetry-router.ts'
import type { TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import { HttpError } from '../../../shared/http-error.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const agentRow = (gpuId: number, at: number, over: Record<string, unknown> = {}) => seedRow(gpuId, { recorded_at: iso(at), uuid: `GPU-${gpuId}`, ...over })

t.test('the seed body: 200 {"ok": true}, stored, and read back in the seed shape', async t => {
  const { post, get, repo } = await telemetryApp(t)
  const res = await post({ gpus: [seedRow(1), seedRow(0)] })
  t.equal(res.status, 200)
  t.match(await res.json(), { ok: true, accepted: 2, skipped: 0, duplicates: 0 })
  t.equal(await repo.countSamples(), 2)
  const latest = await (await get('/api/gpu-stats')).json() as Array<Record<string, unknown>>
  t.same(latest.map(r => r.gpu_id), [0, 1])
  t.match(latest[0], {
    recorded_at: '2026-04-26T04:00:00+00:00', // no recorded_at in the seed body: the receive time
    gpu_id: 0,
    name: 'NVIDIA B200',
    power_draw_w: 612.4,
    temp_c: 47,
    memory_used_mb: 173456,
    memory_total_mb: 183359,
    utilization_pct: 84,
    node_id: 1,
    hostname: 'default',
    cluster_id: 1,
  })
  t.type(latest[0]!.id, 'number')
})

t.test('fail-soft: an out-of-range row is skipped, the others ingest', async t => {
  const { post, get } = await telemetryApp(t)
  const res = await post({ gpus: [seedRow(0), seedRow(1, { temp_c: 200 }), seedRow(2, { gpu_id: 'x' }), null, seedRow(3)] })
  t.equal(res.status, 200)
  t.match(await res.json(), { ok: true, accepted: 2, skipped: 3 })
  t.same((await (await get('/api/gpu-stats')).json() as Array<{ gpu_id: number }>).map(r => r.gpu_id), [0, 3])
  // Rows outside the accepted window are skipped too: older than raw retention, or from the future.
  const res2 = await post({ gpus: [agentRow(4, T0 - 8 * DAY), agentRow(5, T0 + DAY), agentRow(6, T0 - 1000)] })
  t.match(await res2.json(), { ok: true, accepted: 1, skipped: 2 })
})

t.test('bad bodies: 400 in the one error shape, nothing written', async t => {
  const { post, repo } = await telemetryApp(t)
  const cases: Array<[string, unknown, string | undefined, string]> = [
    ['no gpus', { rows: [seedRow(0)] }, undefined, 'GPUS_REQUIRED'],
    ['gpus not an array', { gpus: seedRow(0) }, undefined, 'GPUS_REQUIRED'],
    ['body an array', [seedRow(0)], undefined, 'GPUS_REQUIRED'],
    ['body null', null, undefined, 'GPUS_REQUIRED'],
    ['invalid JSON', undefined, '{"gpus": [', 'INVALID_JSON'],
    ['empty body', undefined, '', 'INVALID_JSON'],
    ['bad node', { node: { hostname: '' }, gpus: [seedRow(0)] }, undefined, 'INVALID_NODE'],
    ['node of the wrong type', { node: 'host', gpus: [seedRow(0)] }, undefined, 'INVALID_NODE'],
  ]
  for (const [what, body, raw, code] of cases) {
    const res = await post(body, raw === undefined ? {} : { raw })
    t.equal(res.status, 400, what)
    t.match(await res.json(), { statusCode: 400, code, error: 'Bad Request', message: String }, what)
  }
  t.equal(await repo.countSamples(), 0)
  const ok = await post({ gpus: [] })
  t.match(await ok.json(), { ok: true, accepted: 0 }, 'an empty gpus array is a valid (empty) push')
})

t.test('auth: 401 without a key, 403 without the ingest scope; superadmin may push', async t => {
  const { app, post } = await telemetryApp(t)
  const anon = await app.request('/api/gpu-stats', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gpus: [] }) })
  t.equal(anon.status, 401)
  t.match(await anon.json(), { code: 'UNAUTHORIZED' })
  t.equal((await post({ gpus: [] }, { scope: 'read' })).status, 403)
  t.equal((await post({ gpus: [] }, { scope: 'admin' })).status, 403)
  t.equal((await post({ gpus: [seedRow(0)] }, { scope: 'superadmin' })).status, 200)
  const read = await app.request('/api/gpu-stats')
  t.equal(read.status, 401)
  t.equal((await app.request('/api/gpu-stats', { headers: { authorization: 'Bearer ingest' } })).status, 403, 'ingest keys do not read')
})

t.test('413 over the 4 MiB ingest limit, before anything is parsed', async t => {
  const { post, repo } = await telemetryApp(t)
  const big = JSON.stringify({ gpus: [seedRow(0)], pad: 'x'.repeat(GPU_STATS_BODY_LIMIT_BYTES) })
  const res = await post(undefined, { raw: big })
  t.equal(res.status, 413)
  t.match(await res.json(), { code: 'PAYLOAD_TOO_LARGE' })
  // A replay batch of ~1 MiB is fine.
  const rows = Array.from({ length: 6000 }, (_, i) => agentRow(i % 8, T0 - 60_000 * 30 + Math.floor(i / 8) * 1000))
  const body = JSON.stringify({ gpus: rows })
  t.ok(body.length > 1_000_000)
  const ok = await post(undefined, { raw: body })
  t.match(await ok.json(), { ok: true, accepted: 6000 })
  t.equal(await repo.countSamples(), 6000)
})

t.test('idempotent: the same batch twice is stored once', async t => {
  const { post, repo } = await telemetryApp(t)
  const body = { node: { hostname: 'gpu-a' }, gpus: [0, 1, 2, 3].flatMap(g => [agentRow(g, T0 - 2000), agentRow(g, T0 - 1000)]) }
  t.match(await (await post(body)).json(), { ok: true, accepted: 8, duplicates: 0 })
  t.match(await (await post(body)).json(), { ok: true, accepted: 0, duplicates: 8 })
  t.equal(await repo.countSamples(), 8)
})

t.test('a late replay does not regress latest', async t => {
  const { post, get } = await telemetryApp(t)
  await post({ node: { hostname: 'gpu-a' }, gpus: [agentRow(0, T0 - 1000, { power_draw_w: 700 })] })
  await post({ node: { hostname: 'gpu-a' }, gpus: [agentRow(0, T0 - 3_600_000, { power_draw_w: 300 })] })
  const [row] = await (await get('/api/gpu-stats?hostname=gpu-a')).json() as Array<{ power_draw_w: number, recorded_at: string }>
  t.equal(row!.power_draw_w, 700)
  t.equal(row!.recorded_at, '2026-04-26T03:59:59+00:00')
})

t.test('latest: gpu_id order on one node, node then gpu fleet-wide, filters', async t => {
  const { post, get } = await telemetryApp(t)
  await post({ node: { hostname: 'b', cluster: 'east' }, gpus: [agentRow(2, T0), agentRow(0, T0), agentRow(1, T0)] })
  await post({ node: { hostname: 'a', cluster: 'west' }, gpus: [agentRow(1, T0), agentRow(0, T0)] })
  const rows = async (q: string) => (await (await get(`/api/gpu-stats${q}`)).json() as Array<{ node_id: number, gpu_id: number, hostname: string, cluster_id: number }>)
    .map(r => `${r.hostname}/${r.gpu_id}`)
  t.same(await rows(''), ['b/0', 'b/1', 'b/2', 'a/0', 'a/1'], 'node b registered first: node id order')
  t.same(await rows('?hostname=a'), ['a/0', 'a/1'])
  t.same(await rows('?node_id=2'), ['b/0', 'b/1', 'b/2'])
  t.same(await rows('?cluster_id=3'), ['a/0', 'a/1'])
  t.same(await rows('?cluster_id=99'), [])
  for (const q of ['?node_id=abc', '?node_id=0', '?cluster_id=1.5', `?hostname=${'h'.repeat(300)}`]) {
    const res = await get(`/api/gpu-stats${q}`)
    t.equal(res.status, 400, q)
    t.match(await res.json(), { code: 'VALIDATION_FAILED' })
  }
})

t.test('group commit: many concurrent pushes, all acknowledged and all stored', async t => {
  let calls = 0
  const { post, repo, registry } = await telemetryApp(t, {
    wrapRepo: r => ({ ...r, insertSamples: async b => { calls++; return r.insertSamples(b) } }),
  })
  const responses = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    post({ node: { hostname: `node-${i % 20}` }, gpus: Array.from({ length: 8 }, (_, g) => agentRow(g, T0 - 1000 * (1 + Math.floor(i / 20)))) })))
  t.same(responses.map(r => r.status), Array(60).fill(200))
  const bodies = await Promise.all(responses.map(async r => r.json() as Promise<{ accepted: number }>))
  t.equal(bodies.reduce((n, b) => n + b.accepted, 0), 480)
  t.equal(await repo.countSamples(), 480)
  t.ok(calls >= 1 && calls <= 60)
  const metrics = await registry.metrics()
  t.match(metrics, /gpufleet_cp_telemetry_ingest_requests_total\{outcome="ok"\} 60/)
  t.match(metrics, /gpufleet_cp_telemetry_ingest_rows_total\{result="accepted"\} 480/)
  t.match(metrics, /gpufleet_cp_telemetry_group_commit_rows_sum 480/)
})

t.test('a failed commit answers 503, never 200, and later pushes still work', async t => {
  let fail = true
  const { post, repo, logs, registry } = await telemetryApp(t, {
    wrapRepo: r => ({
      ...r,
      insertSamples: async b => {
        if (fail) throw new Error('disk I/O error')
        return r.insertSamples(b)
      },
    }),
  })
  const results = await Promise.all([0, 1, 2].map(async i => post({ node: { hostname: `n${i}` }, gpus: [agentRow(0, T0 - 1000)] })))
  for (const res of results) {
    t.equal(res.status, 503)
    t.match(await res.json(), { statusCode: 503, code: 'STORE_UNAVAILABLE' })
  }
  t.equal(await repo.countSamples(), 0)
  t.ok(logs.some(l => l.level === 'error' && /commit failed/.test(l.msg)))
  t.notMatch(JSON.stringify(logs), /stack/)
  t.match(await registry.metrics(), /ingest_requests_total\{outcome="failed"\} 3/)
  fail = false
  t.equal((await post({ gpus: [seedRow(0)] })).status, 200)
})

t.test('resolveNode: a failure is 503, an HttpError passes through', async t => {
  const down = await telemetryApp(t, { resolveNode: async () => { throw new Error('fleet store down') } })
  t.equal((await down.post({ gpus: [seedRow(0)] })).status, 503)
  const refused = await telemetryApp(t, { resolveNode: async () => { throw new HttpError(409, 'NODE_CONFLICT', 'no') } })
  const res = await refused.post({ gpus: [seedRow(0)] })
  t.equal(res.status, 409)
  t.match(await res.json(), { code: 'NODE_CONFLICT' })
})

t.test('onIngested: after the commit, newest new row per GPU; its failure is only logged', async t => {
  const calls: Array<{ nodeId: number, gpus: number[], powers: unknown[], at: number }> = []
  const heard: unknown[] = []
  const { post, immediates, logs } = await telemetryApp(t, {
    onIngested: (nodeId, readings, at) => {
      calls.push({ nodeId, gpus: readings.map(r => r.gpu_id), powers: readings.map(r => r.power_draw_w), at })
      heard.push(...readings)
      if (nodeId === 2) throw new Error('fleet busy')
    },
  })
  const res = await post({ gpus: [agentRow(1, T0 - 2000, { power_draw_w: 1 }), agentRow(1, T0 - 1000, { power_draw_w: 2 }), agentRow(0, T0 - 2000)] })
  t.equal(res.status, 200)
  t.same(calls, [], 'not on the ack path')
  await immediates.run()
  t.same(calls, [{ nodeId: 1, gpus: [0, 1], powers: [612.4, 2], at: T0 - 1000 }])
  t.same(Object.keys(heard[0] as object).sort(), ['gpu_id', 'memory_total_mb', 'memory_used_mb', 'name', 'power_draw_w', 'temp_c', 'utilization_pct', 'uuid'],
    'the readings the fleet keeps, nothing else built per push')
  await post({ gpus: [agentRow(1, T0 - 2000)] })
  await immediates.run()
  t.equal(calls.length, 1, 'nothing new stored: not called')
  t.equal((await post({ node: { hostname: 'second' }, gpus: [agentRow(0, T0)] })).status, 200)
  await immediates.run()
  await new Promise(resolve => setImmediate(resolve))
  t.ok(logs.some(l => l.level === 'warn' && /onIngested failed/.test(l.msg)))
})

t.test('retention: raw rows older than 7 days pruned as part of writes, throttled', async t => {
  let prunes = 0
  const { post, repo, clock, immediates } = await telemetryApp(t, {
    // Raw rows only: compaction (its own test below) would move these old rows into blocks first.
    options: { pruneEveryMs: 60_000, pruneChunkRows: 5, compactAfterMs: 30 * DAY },
    wrapRepo: r => ({ ...r, prune: async q => { prunes++; return r.prune(q) } }),
  })
  const oldAt = T0 - 6 * DAY
  await post({ node: { hostname: 'a' }, gpus: Array.from({ length: 12 }, (_, i) => agentRow(i % 4, oldAt + Math.floor(i / 4) * 1000)) })
  await immediates.run()
  t.equal(prunes, 1, 'the first write runs a step')
  await post({ gpus: [seedRow(0)] })
  await immediates.run()
  t.equal(prunes, 1, 'not again within the minute')
  clock.now = T0 + 2 * DAY // the 12 rows are now 8 days old
  await post({ gpus: [seedRow(0)] })
  await immediates.run()
  t.equal(prunes, 2)
  t.equal(await repo.countSamples(), 12 + 2 - 5, 'one bounded step of 5 rows')
  for (let i = 0; i < 3; i++) {
    clock.now += 1000
    await post({ gpus: [seedRow(i + 1)] })
    await immediates.run()
  }
  t.equal(prunes, 4, 'with a backlog, a step per write (5 + 5 + 2 rows), then caught up')
  t.equal(await repo.countSamples({ toMs: T0 - DAY }), 0, 'backlog gone')
  clock.now += 50_000
  await post({ gpus: [seedRow(5)] })
  await immediates.run()
  t.equal(prunes, 4, 'caught up: back to once a minute')
  clock.now += 10_000
  await post({ gpus: [seedRow(6)] })
  await immediates.run()
  t.equal(prunes, 5)
})

t.test('retention compacts raw rows older than compactAfterMs as part of writes; reads answer the same', async t => {
  const { post, repo, immediates } = await telemetryApp(t, { options: { compactAfterMs: 70 * 60_000 } })
  const oldAt = T0 - 2 * 3600_000
  await post({ node: { hostname: 'a' }, gpus: Array.from({ length: 12 }, (_, i) => agentRow(i % 4, oldAt + Math.floor(i / 4) * 1000)) })
  // Node a's clock is right: now its newest row (a node's rows move only once older than its
  // own newest minus compactAfterMs, so a lagging agent's do not thaw on every push).
  await post({ node: { hostname: 'a' }, gpus: [seedRow(0)] })
  const history = await repo.gpuHistory(1, 1, oldAt, T0 + 1000)
  await immediates.run()
  t.same(await repo.compact({ before: T0 - 70 * 60_000, limit: 100 }), { moved: 0, more: false }, 'the write\'s retention step compacted them')
  t.equal(await repo.countSamples(), 13)
  t.same(await repo.gpuHistory(1, 1, oldAt, T0 + 1000), history)
})

t.test('413 by Content-Length alone, without reading the body', async t => {
  const { app } = await telemetryApp(t)
  const res = await app.request('/api/gpu-stats', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ingest', 'content-length': String(GPU_STATS_BODY_LIMIT_BYTES + 1) },
    body: '{"gpus":[]}',
  })
  t.equal(res.status, 413)
  t.match(await res.json(), { code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: GPU_STATS_BODY_LIMIT_BYTES } })
})

t.test('the routes document themselves in /openapi.json', async t => {
  const { OpenAPIHono } = await import('@hono/zod-openapi')
  const { openSqliteStore } = await import('../../../control-plane/store/sqlite/open-sqlite-store.ts')
  const { createTelemetryRouter } = await import('../../../control-plane/telemetry/create-telemetry-router.ts')
  const { inMemoryResolveNode } = await import('../../helpers/in-memory-resolve-node.ts')
  const { testRequireScope } = await import('../router-harness.ts')
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const app = new OpenAPIHono()
  app.route('/', createTelemetryRouter({ store, requireScope: testRequireScope, now: Date.now, log: { warn () {}, error () {} }, resolveNode: inMemoryResolveNode() }))
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'test', version: '0' } })
  t.ok(doc.paths?.['/api/gpu-stats']?.post?.requestBody, 'ingest body documented')
  t.ok(doc.paths?.['/api/gpu-stats']?.get, 'latest documented')
  const params = (doc.paths?.['/api/gpu-stats/power-history']?.get?.parameters ?? []) as Array<{ name: string }>
  t.same(params.map(p => p.name).sort(), ['bucket_minutes', 'cluster_id', 'days', 'node_id', 'tz'])
})
