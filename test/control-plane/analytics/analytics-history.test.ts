import t from 'tap'
import { analyticsHarness, T0, MIN, HOUR, DAY } from './analytics-harness.ts'

const iso = (ms: number) => new Date(ms).toISOString()

async function fleet (h: Awaited<ReturnType<typeof analyticsHarness>>) {
  const c = (await h.store.fleet.createCluster({ name: 'c', region: null }, T0))!
  const n1 = (await h.store.fleet.upsertNode({ clusterId: c.id, hostname: 'gpu-node-01' }, T0)).node
  const gpus = await h.store.fleet.registerGpus(n1.id, [{ gpuIndex: 0, model: 'NVIDIA H100 80GB HBM3' }, { gpuIndex: 1, model: 'NVIDIA H100 80GB HBM3' }], T0)
  return { c, n1, gpus }
}

t.test('GET /v1/history lists the kinds with their paths', async t => {
  const h = await analyticsHarness(t)
  const res = await h.get('/v1/history')
  t.same(res.body.kinds.map((k: any) => [k.name, k.path, k.carries_cost]), [
    ['benchmarks', '/v1/history/benchmarks', true], ['training', '/v1/history/training', true], ['compute', '/v1/history/compute', true],
    ['inference', '/v1/history/inference', false], ['endpoints', '/v1/history/endpoints', false], ['serving', '/v1/history/serving', true],
  ])
})

t.test('GPU jobs: cost = cost_per_hr × duration; running jobs priced up to now; kinds routed; aliases label the source', async t => {
  const h = await analyticsHarness(t, { now: T0 + 3 * HOUR })
  const { c, n1, gpus } = await fleet(h)
  const tenant = h.rows.tenant('acme')
  const done = h.rows.job({ clusterId: c.id, name: 'llama-ft', kind: 'training', tenantId: tenant, gpuCount: 2, gpuType: 'H100', nodeId: n1.id, submittedAt: T0, startedAt: T0, endedAt: T0 + 90 * MIN })
  for (const g of gpus) h.rows.jobGpu({ jobId: done, gpuId: g.id, gpuModel: g.model, assignedAt: T0, releasedAt: T0 + 90 * MIN })
  const running = h.rows.job({ clusterId: c.id, name: 'sweep', kind: 'benchmark', gpuType: 'H100', nodeId: n1.id, submittedAt: T0 + 2 * HOUR, startedAt: T0 + 2 * HOUR })
  h.rows.jobGpu({ jobId: running, gpuId: gpus[0]!.id, gpuModel: gpus[0]!.model, assignedAt: T0 + 2 * HOUR })
  h.rows.job({ clusterId: c.id, name: 'server', kind: 'endpoint', gpuType: 'H100', submittedAt: T0 })

  const training = (await h.get('/v1/history/training')).body
  t.equal(training.has_more, false)
  t.match(training.jobs, [{
    id: done, kind: 'training', name: 'llama-ft', tenant_id: tenant, tenant: 'acme', status: 'completed', gpu_type: 'H100', gpu_count: 2,
    source: 'gpu-node-01', label: null, submitted_at: iso(T0), started_at: iso(T0), ended_at: iso(T0 + 90 * MIN), duration_s: 5400,
    gpu_hours: 3, cost_per_hr: 9.52, cost: 14.28, currency: 'usd', cost_final: true,
  }])
  t.equal(training.jobs[0].gpus.length, 2)
  const bench = (await h.get('/v1/history/benchmarks')).body.jobs[0]
  t.match(bench, { id: running, status: 'running', ended_at: null, duration_s: 3600, cost_per_hr: 4.76, cost: 4.76, cost_final: false })
  h.set(T0 + 3.5 * HOUR)
  t.match((await h.get('/v1/history/benchmarks')).body.jobs[0], { duration_s: 5400, cost: 7.14 }, 'the running cost grows with the clock')
  t.same((await h.get('/v1/history/compute')).body.jobs, [])
  t.match((await h.get('/v1/history/serving')).body.jobs, [{ name: 'server', kind: 'endpoint', started_at: null, cost: 0, cost_per_hr: 4.76 }])

  t.equal((await h.req('PUT', '/v1/global-env/ANALYTICS_SOURCE_ALIASES', { key: h.keys.admin, body: { value: { 'gpu-node-01': 'Lab rack A' } } })).status, 200)
  const labelled = (await h.get('/v1/history/training')).body.jobs[0]
  t.equal(labelled.label, 'Lab rack A')
  t.equal(labelled.gpus[0].label, 'Lab rack A')
})

t.test('inference: ingest fail-soft and idempotent, history pages newest first and each record once', async t => {
  const h = await analyticsHarness(t, { now: T0 + DAY })
  const post = (records: unknown) => h.req('POST', '/v1/inference/records', { key: h.keys.ingest, body: { records } })
  const records = Array.from({ length: 10 }, (_, i) => ({
    id: `req-${i}`, endpoint: 'chat', model: 'llama', tenant_id: null, source: 'gpu-node-01', tokens_in: 100 + i, tokens_out: 50, latency_ms: 250.5,
    status: i % 4 === 0 ? 'error' : 'ok', at: iso(T0 + i * MIN),
  }))
  const first = await post([...records.slice(0, 6), { id: 'broken', endpoint: 'chat' }])
  t.same(first.body, { ok: true, accepted: 6, duplicates: 0, skipped: [{ index: 6, id: 'broken', reason: first.body.skipped[0].reason }] })
  t.match(first.body.skipped[0].reason, /^model: /)
  const again = await post(records)
  t.same(again.body, { ok: true, accepted: 4, duplicates: 6, skipped: [] }, 're-sent ids ignored')
  t.match(h.logs(), /inference ingest skipped records/)

  const seen: string[] = []
  for (let offset = 0; ; offset += 3) {
    const res = await h.get(`/v1/history/inference?since=${iso(T0)}&until=${iso(T0 + HOUR)}&order=desc&limit=3&offset=${offset}`)
    seen.push(...res.body.jobs.map((r: any) => r.id))
    if (!res.body.has_more) break
  }
  t.same(seen, records.map(r => r.id).reverse(), 'every record once, newest first')
  const one = (await h.get('/v1/history/inference?order=asc&limit=1')).body
  t.same(one, {
    jobs: [{
      id: 'req-0', kind: 'inference', at: iso(T0), endpoint: 'chat', model: 'llama', tenant_id: null, tenant: null, source: 'gpu-node-01', label: null,
      status: 'error', tokens_in: 100, tokens_out: 50, latency_ms: 250.5, cost: null,
    }],
    has_more: true,
  })
})

t.test('ingest envelope errors are 4xx and store nothing', async t => {
  const h = await analyticsHarness(t, { now: T0 + DAY })
  const rec = (i: number) => ({ id: `r${i}`, endpoint: 'e', model: 'm', tokens_in: 1, tokens_out: 1, latency_ms: 1, status: 'ok', at: iso(T0) })
  const post = (body: unknown, headers: Record<string, string> = {}) => h.req('POST', '/v1/inference/records', { key: h.keys.ingest, body, headers })
  t.match((await post({ records: Array.from({ length: 5001 }, (_, i) => rec(i)) })), { status: 400, body: { code: 'VALIDATION_FAILED' } }, 'over the batch limit')
  t.match((await post({})), { status: 400, body: { code: 'VALIDATION_FAILED' } }, 'no records array')
  t.match((await post({ records: 'x' })), { status: 400 })
  t.match((await post('{"records": [')), { status: 400, body: { statusCode: 400 } }, 'malformed JSON')
  t.match((await post('records=1', { 'content-type': 'application/x-www-form-urlencoded' })), { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } })
  t.same((await h.get('/v1/history/inference')).body.jobs, [])
  const long = (i: number) => ({ ...rec(i), id: `${'x'.repeat(120)}${i}`, model: 'm'.repeat(256) })
  const big = JSON.stringify({ records: Array.from({ length: 5000 }, (_, i) => long(i)) })
  t.ok(big.length > 2 * 1024 * 1024, 'a full batch of long records is over the default 1 MiB body limit')
  t.match((await post(big)), { status: 200, body: { accepted: 5000 } }, 'and fits the ingest route\'s own limit')
  t.match((await post(JSON.stringify({ records: [], pad: 'x'.repeat(5 * 1024 * 1024) }))), { status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } })
})

t.test('endpoints: lifecycle through the API, with activity and tokens from records in its lifetime', async t => {
  const h = await analyticsHarness(t, { now: T0 })
  const put = (name: string, body: unknown) => h.req('PUT', `/v1/endpoints/${name}`, { key: h.keys.ingest, body })
  const created = await put('llama-chat', { model: 'llama-8b', replicas: 1, source: 'gpu-node-01' })
  t.equal(created.status, 201)
  t.match(created.body, { kind: 'endpoint', name: 'llama-chat', model: 'llama-8b', replicas: 1, status: 'active', source: 'gpu-node-01', created_at: iso(T0), deleted_at: null, requests: 0, cost: null })
  h.set(T0 + HOUR)
  t.equal((await put('llama-chat', { model: 'llama-8b', replicas: 4, status: 'degraded', source: 'gpu-node-01' })).status, 200)
  const rec = (id: string, at: number, endpoint = 'llama-chat') => ({ id, endpoint, model: 'llama-8b', tokens_in: 10, tokens_out: 5, latency_ms: 1, status: 'ok', at: iso(at) })
  h.set(T0 + 3 * HOUR)
  await h.req('POST', '/v1/inference/records', { key: h.keys.ingest, body: { records: [rec('before', T0 - 1), rec('a', T0 + 10 * MIN), rec('b', T0 + 2 * HOUR), rec('other', T0 + MIN, 'other')] } })
  const deleted = await h.req('DELETE', '/v1/endpoints/llama-chat', { key: h.keys.ingest })
  t.match(deleted, { status: 200, body: { status: 'deleted', deleted_at: iso(T0 + 3 * HOUR), requests: 2, tokens_in: 20, tokens_out: 10 } })
  t.match(await h.req('DELETE', '/v1/endpoints/llama-chat', { key: h.keys.ingest }), { status: 404, body: { code: 'ENDPOINT_NOT_FOUND' } })
  t.match(await put('bad%20name', { model: 'm', replicas: 1 }), { status: 400, body: { code: 'VALIDATION_FAILED' } })
  t.match(await put('ok', { model: 'm', replicas: -1 }), { status: 400 })
  t.match(await put('ok', { model: 'm', replicas: 1, status: 'deleted' }), { status: 400 }, 'deleted is set by DELETE only')
  const list = (await h.get('/v1/history/endpoints')).body
  t.match(list.jobs, [{ name: 'llama-chat', status: 'deleted', requests: 2 }])
  t.same(list.jobs[0].events.map((e: any) => [e.kind, e.at]), [['created', iso(T0)], ['updated', iso(T0 + HOUR)], ['deleted', iso(T0 + 3 * HOUR)]])
  t.same(list.jobs[0].events[1].detail, { replicas: { from: 1, to: 4 }, status: { from: 'active', to: 'degraded' } })
})

t.test('worker events through HTTP: one stable shape, oldest first', async t => {
  const h = await analyticsHarness(t)
  const { c, n1, gpus } = await fleet(h)
  const job = h.rows.job({ clusterId: c.id, nodeId: n1.id, submittedAt: T0, startedAt: T0 + MIN })
  h.rows.jobEvent({ jobId: job, kind: 'gpu_assigned', at: T0 + MIN, gpuId: gpus[0]!.id, detail: '{"reason":"scheduler"}' })
  h.rows.jobEvent({ jobId: job, kind: 'started', at: T0 + MIN })
  h.rows.jobEvent({ jobId: job, kind: 'ended', at: T0 + HOUR })
  h.rows.jobEvent({ jobId: job, kind: 'gpu_released', at: T0 + HOUR, gpuId: gpus[0]!.id })
  const res = await h.get(`/admin/worker-events?since=${iso(T0)}&until=${iso(T0 + DAY)}&limit=20000`)
  t.equal(res.body.count, 5)
  t.equal(res.body.truncated, false)
  t.same(res.body.events[1], { id: `job-1`, at: iso(T0 + MIN), kind: 'gpu_assigned', node_id: n1.id, hostname: 'gpu-node-01', gpu_id: gpus[0]!.id, job_id: job, detail: { reason: 'scheduler' } })
  t.same(res.body.events.map((e: any) => e.kind), ['agent_registered', 'gpu_assigned', 'job_started', 'job_ended', 'gpu_released'])
  for (const e of res.body.events) t.same(Object.keys(e), ['id', 'at', 'kind', 'node_id', 'hostname', 'gpu_id', 'job_id', 'detail'])
  t.match((await h.get('/admin/worker-events?limit=2')).body, { count: 2, truncated: true })
})

t.test('global env: validated alias map; invalid values are 400 and change nothing', async t => {
  const h = await analyticsHarness(t)
  const put = (key: string, body: unknown) => h.req('PUT', `/v1/global-env/${key}`, { key: h.keys.admin, body })
  t.same((await h.get('/v1/global-env')).body, [{ key: 'ANALYTICS_SOURCE_ALIASES', value: '{}', updated_at: null }], 'known keys listed even when unset')
  t.match(await put('ANALYTICS_SOURCE_ALIASES', { value: '{"gpu-node-01":"Rack A"}' }), { status: 200, body: { key: 'ANALYTICS_SOURCE_ALIASES', value: '{"gpu-node-01":"Rack A"}' } })
  for (const value of ['{', '[]', '{"a": 1}', '{"a": {"b": "c"}}', '{"a": null}', 'null']) {
    t.match(await put('ANALYTICS_SOURCE_ALIASES', { value }), { status: 400, body: { code: 'INVALID_ALIASES' } }, value)
  }
  t.match(await put('ANALYTICS_SOURCE_ALIASES', { value: { a: 1 } }), { status: 400, body: { code: 'INVALID_ALIASES' } })
  t.match(await put('ANALYTICS_SOURCE_ALIASES', {}), { status: 400, body: { code: 'VALIDATION_FAILED' } })
  t.match(await put('ANALYTICS_SOURCE_ALIASES', { value: 42 }), { status: 400, body: { code: 'VALIDATION_FAILED' } })
  t.match(await put('PATH', { value: '/bin' }), { status: 400, body: { code: 'UNKNOWN_ENV_KEY' } })
  t.match(await put('__proto__', { value: '{}' }), { status: 400, body: { code: 'UNKNOWN_ENV_KEY' } })
  t.equal((await h.get('/v1/global-env')).body[0].value, '{"gpu-node-01":"Rack A"}', 'still the last good value')
})

t.test('/openapi.json documents the analytics routes', async t => {
  const h = await analyticsHarness(t)
  const doc = (await h.req('GET', '/openapi.json')).body
  for (const p of ['/v1/history', '/v1/history/inference', '/v1/history/summary', '/admin/worker-events', '/v1/global-env', '/v1/global-env/{key}', '/v1/inference/records', '/v1/endpoints/{name}']) {
    t.ok(doc.paths[p], p)
  }
})
