import t from 'tap'
import { analyticsHarness } from './analytics-harness.ts'

// Seed 001: "admin only — a non-admin key gets 403 and an empty result".
const READS: Array<[string, Record<string, unknown> | null]> = [
  ['/v1/history', { kinds: [] }],
  ['/v1/history/benchmarks', { jobs: [], has_more: false }],
  ['/v1/history/training', { jobs: [], has_more: false }],
  ['/v1/history/compute', { jobs: [], has_more: false }],
  ['/v1/history/inference', { jobs: [], has_more: false }],
  ['/v1/history/endpoints', { jobs: [], has_more: false }],
  ['/v1/history/serving', { jobs: [], has_more: false }],
  ['/v1/history/summary', { rows: [] }],
  ['/admin/worker-events', { count: 0, events: [] }],
  ['/v1/global-env', null],
]

t.test('non-admin keys get 403 in the one error shape with the empty result beside it', async t => {
  const h = await analyticsHarness(t)
  for (const scope of ['read', 'write', 'ingest'] as const) {
    for (const [path, empty] of READS) {
      const res = await h.req('GET', path, { key: h.keys[scope] })
      t.equal(res.status, 403, `${scope} ${path}`)
      if (path === '/v1/global-env') {
        // Issue 16: an array answer's empty result is the empty array itself (the seed's jq `.[]` reads nothing).
        t.same(res.body, [], `${scope} ${path}: an empty array`)
        t.equal(res.headers.get('x-error-code'), 'FORBIDDEN', 'the code rides in a header')
        continue
      }
      t.match(res.body, { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: String, details: { required_scope: 'admin' } })
      if (empty !== null) t.match(res.body, empty, `${scope} ${path}: empty result`)
    }
  }
  const bad = await h.req('GET', '/v1/history/inference?limit=0&since=nope', { key: h.keys.read })
  t.equal(bad.status, 403, 'auth is checked before the query: a non-admin learns nothing from validation')
})

t.test('no key or an unknown key → 401 plain error shape', async t => {
  const h = await analyticsHarness(t)
  for (const [path] of READS) {
    const none = await h.req('GET', path)
    t.equal(none.status, 401, path)
    t.same(Object.keys(none.body).sort(), ['code', 'error', 'message', 'statusCode'])
    t.equal((await h.req('GET', path, { key: `gfk_${'0'.repeat(64)}` })).status, 401)
  }
})

t.test('admin and superadmin read everything', async t => {
  const h = await analyticsHarness(t)
  for (const key of [h.keys.admin, h.keys.superadmin]) {
    for (const [path] of READS) t.equal((await h.req('GET', path, { key })).status, 200, path)
  }
})

t.test('writes: settings need admin; serving-layer writes take ingest or admin; refused writes store nothing', async t => {
  const h = await analyticsHarness(t)
  const put = (key: string) => h.req('PUT', '/v1/global-env/ANALYTICS_SOURCE_ALIASES', { key, body: { value: '{"a":"A"}' } })
  for (const scope of ['read', 'write', 'ingest'] as const) t.equal((await put(h.keys[scope])).status, 403, `${scope} cannot set global env`)
  t.equal((await h.get('/v1/global-env')).body[0].value, '{}', 'nothing written')
  t.equal((await put(h.keys.admin)).status, 200)

  const records = { records: [{ id: 'r1', endpoint: 'chat', model: 'm', tokens_in: 1, tokens_out: 1, latency_ms: 1, status: 'ok', at: new Date(h.now() - 1000).toISOString() }] }
  for (const scope of ['read', 'write'] as const) {
    t.equal((await h.req('POST', '/v1/inference/records', { key: h.keys[scope], body: records })).status, 403, `${scope} cannot ingest`)
    t.equal((await h.req('PUT', '/v1/endpoints/chat', { key: h.keys[scope], body: { model: 'm', replicas: 1 } })).status, 403)
  }
  t.same((await h.get('/v1/history/inference')).body.jobs, [], 'nothing written')
  t.same((await h.get('/v1/history/endpoints')).body.jobs, [])
  t.equal((await h.req('POST', '/v1/inference/records', { key: h.keys.ingest, body: records })).status, 200, 'ingest key')
  t.equal((await h.req('PUT', '/v1/endpoints/chat', { key: h.keys.admin, body: { model: 'm', replicas: 1 } })).status, 201, 'admin key')
  t.equal((await h.req('DELETE', '/v1/endpoints/chat', { key: h.keys.ingest })).status, 200, 'ingest key')
})
