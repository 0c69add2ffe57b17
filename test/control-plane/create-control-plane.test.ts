import t from 'tap'
import pino from 'pino'
import { Counter } from 'prom-client'
import { createRoute, z } from '@hono/zod-openapi'
import { createControlPlane } from '../../control-plane/create-control-plane.ts'
import type { RouterContext } from '../../control-plane/http/router-mount.ts'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'
import { createRouter } from '../../control-plane/http/create-router.ts'
import { API_KEY_SECURITY } from '../../control-plane/http/api-key-security.ts'
import { openSqliteStore } from '../../control-plane/store/sqlite/open-sqlite-store.ts'
import { cpHarness, isError } from './cp-harness.ts'

// A colleague's bulk router: its own counter on the shared registry, a larger body limit.
function bulkRouter ({ requireScope, registry }: RouterContext) {
  const r = createRouter()
  const rows = new Counter({ name: 'gpufleet_cp_bulk_rows_total', help: 'Rows accepted.', registers: [registry] })
  r.openapi({
    ...createRoute({
      method: 'post', path: '/api/bulk', security: API_KEY_SECURITY,
      request: { body: { required: true, content: { 'application/json': { schema: z.object({ rows: z.array(z.string()) }) } } } },
      responses: { 200: { description: 'ok' } },
    }),
    middleware: [requireScope('ingest')],
  }, c => {
    rows.inc(c.req.valid('json').rows.length)
    return c.json({ ok: true, rows: c.req.valid('json').rows.length }, 200)
  })
  return r
}

t.test('GET /healthz: 200 {status:"ok"} without a key; 503 once the store is gone', async t => {
  const store = await openSqliteStore(':memory:')
  const app = createControlPlane({ store, log: pino({ level: 'silent' }), config: parseControlPlaneConfig({ db: ':memory:' }) })
  const ok = await app.request('/healthz')
  t.equal(ok.status, 200)
  t.same(await ok.json(), { status: 'ok' })
  await store.close()
  const down = await app.request('/healthz')
  t.equal(down.status, 503)
  t.match(await down.json(), { statusCode: 503, code: 'STORE_UNAVAILABLE' })
})

t.test('GET /openapi.json: generated from the route schemas, with both security schemes', async t => {
  const h = await cpHarness(t, { routers: [{ path: '/', router: bulkRouter }] })
  const res = await h.req('GET', '/openapi.json')
  t.equal(res.status, 200)
  const doc = res.body
  t.equal(doc.openapi, '3.1.0')
  t.match(doc.paths, {
    '/healthz': { get: Object },
    '/api/api-keys': { get: Object, post: Object },
    '/api/api-keys/{id}': { delete: Object },
    '/api/auth/introspect': { post: Object },
    '/api/bulk': { post: Object },
  })
  t.same(doc.components.securitySchemes, {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer gfk_…' },
    apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: gfk_…' },
  })
  t.same(doc.paths['/api/api-keys'].post.security, [{ bearerAuth: [] }, { apiKeyHeader: [] }])
  t.ok(doc.paths['/api/api-keys'].post.responses['201'], 'create documents 201')
  t.match(doc.components.schemas.CreateApiKeyRequest, { required: ['label'] })
  t.notOk(doc.paths['/healthz'].get.security, 'healthz is open')
})

t.test('GET /metrics: request counts by route pattern, auth failures, colleagues\' metrics', async t => {
  const h = await cpHarness(t, { routers: [{ path: '/', router: bulkRouter }] })
  const agent = await h.mint(['ingest'])
  await h.req('DELETE', '/api/api-keys/424242', { key: h.root })
  await h.req('GET', '/api/api-keys')
  await h.req('GET', '/no/such/route')
  await h.req('POST', '/api/bulk', { key: agent.key, body: { rows: ['a', 'b'] } })
  const res = await h.app.request('/metrics')
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/)
  const text = await res.text()
  t.match(text, /gpufleet_cp_http_requests_total\{method="DELETE",route="\/api\/api-keys\/:id",status="404"\} 1/)
  t.match(text, /gpufleet_cp_http_requests_total\{method="POST",route="\/api\/api-keys",status="201"\} 1/)
  t.match(text, /gpufleet_cp_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/)
  t.match(text, /gpufleet_cp_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/api-keys",status="401"\}/)
  t.match(text, /gpufleet_cp_auth_failures_total\{reason="missing"\} 1/)
  t.match(text, /gpufleet_cp_bulk_rows_total 2/)
  t.notOk(text.includes('424242'), 'raw paths never become labels')
})

t.test('body limit: 1 MiB by default (413 in the one shape), a router may ask for more', async t => {
  const h = await cpHarness(t, { routers: [{ path: '/', router: bulkRouter, bodyLimits: [{ prefix: '/api/bulk', bytes: 4 * 1024 * 1024 }] }] })
  const agent = await h.mint(['ingest'])
  const big = { rows: Array.from({ length: 200 }, () => 'x'.repeat(10_000)) } // ≈ 2 MB
  const ok = await h.req('POST', '/api/bulk', { key: agent.key, body: big })
  t.equal(ok.status, 200, '2 MB under the bulk router\'s 4 MiB')
  const tooBig = await h.req('POST', '/api/bulk', { key: agent.key, body: { rows: Array.from({ length: 500 }, () => 'x'.repeat(10_000)) } })
  isError(t, tooBig, 413, 'PAYLOAD_TOO_LARGE', '5 MB over it')
  t.same(tooBig.body.details, { limit_bytes: 4 * 1024 * 1024 })
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'a', pad: 'x'.repeat(1024 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE', 'other routes keep 1 MiB')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: JSON.stringify({ label: 'a' }).padEnd(2_000_000), headers: { 'content-length': '2000000' } }), 413, 'PAYLOAD_TOO_LARGE', 'by Content-Length too')
  isError(t, await h.req('POST', '/api/api-keys', { body: 'x'.repeat(2_000_000) }), 413, 'PAYLOAD_TOO_LARGE', 'checked before auth: nobody gets to stream a huge body')
})

t.test('a router instance (not a factory) mounts under a path prefix', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const plain = createRouter()
  plain.openapi(createRoute({ method: 'get', path: '/ping', responses: { 200: { description: 'pong' } } }), c => c.json({ pong: true }, 200))
  const app = createControlPlane({ store, log: pino({ level: 'silent' }), config: parseControlPlaneConfig({ db: ':memory:' }), routers: [{ path: '/v1', router: plain }] })
  const res = await app.request('/v1/ping')
  t.same(await res.json(), { pong: true })
  t.ok((await (await app.request('/openapi.json')).json() as { paths: object }).paths.hasOwnProperty('/v1/ping'))
})

t.test('secure headers on every answer', async t => {
  const h = await cpHarness(t)
  for (const path of ['/healthz', '/api/api-keys', '/nope']) {
    const res = await h.req('GET', path)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff', path)
    t.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', path)
  }
})

t.test('building with missing deps fails at once, naming them', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const log = pino({ level: 'silent' })
  const config = parseControlPlaneConfig({ db: ':memory:' })
  t.throws(() => createControlPlane({ store: undefined as never, log, config }), /store is required/)
  t.throws(() => createControlPlane({ store, log: {} as never, config }), /log must be/)
  t.throws(() => createControlPlane({ store, log, config: undefined as never }), /config is required/)
  t.throws(() => createControlPlane({ store, log, config, routers: [{ path: '/', router: createRouter(), bodyLimits: [{ prefix: '/x', bytes: 0 }] }] }), /positive integer/)
})
