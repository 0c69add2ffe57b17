import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createUpstream } from '../../../agent/uplink/create-upstream.ts'
import { startControlPlaneSink } from '../../fakes/control-plane-sink.ts'
import { API_KEY } from './uplink-harness.ts'

const row = (s: number) => ({ gpu_id: 0, name: 'NVIDIA B200', recorded_at: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString() })

t.test('keep-alive: pushes reuse their connection, bearer key sent', async t => {
  const sink = await startControlPlaneSink({ apiKey: API_KEY })
  t.teardown(() => sink.close())
  const up = createUpstream({ baseUrl: sink.url, apiKey: API_KEY, userAgent: 'test' })
  t.teardown(() => up.close())
  for (let s = 0; s < 20; s++) t.match(await up.postJson('/api/gpu-stats', { gpus: [row(s)] }), { kind: 'ok', status: 200 })
  t.equal(sink.rows().length, 20)
  // A second socket may open when the next request beats the first socket's release.
  t.ok(sink.connections() <= 2, `${sink.connections()} connection(s) for 20 requests`)
  t.ok(sink.requests().every(r => r.bearer === API_KEY))
})

t.test('statuses come back classified with a short key-free error', async t => {
  const sink = await startControlPlaneSink({ apiKey: API_KEY, mode: { status: 422 } })
  t.teardown(() => sink.close())
  const up = createUpstream({ baseUrl: `${sink.url}/`, apiKey: 'gfk_wrong_but_secret_value', userAgent: 'test' })
  t.teardown(() => up.close())
  const res = await up.postJson('/api/gpu-stats', { gpus: [] })
  t.match(res, { kind: 'reject', status: 422, error: /^HTTP 422/ })
  sink.setMode('ok')
  const auth = await up.postJson('/api/gpu-stats', { gpus: [] })
  t.match(auth, { kind: 'auth', status: 401 })
  t.notOk(JSON.stringify(auth).includes('gfk_wrong_but_secret_value'))
})

t.test('a proxy answering instead of the control plane: retry, not reject', async t => {
  const sink = await startControlPlaneSink({ apiKey: API_KEY, mode: { status: 400, body: '<html><h1>400 Bad Request</h1></html>' } })
  t.teardown(() => sink.close())
  const up = createUpstream({ baseUrl: sink.url, apiKey: API_KEY, userAgent: 'test' })
  t.teardown(() => up.close())
  t.match(await up.postJson('/api/gpu-stats', { gpus: [row(1)] }), { kind: 'retry', status: 400, error: /^HTTP 400: <html>/ })
  sink.setMode({ status: 200, body: '<html>Welcome to nginx!</html>' })
  t.match(await up.postJson('/api/gpu-stats', { gpus: [row(1)] }, { readBody: true }), { kind: 'retry', status: 200, error: /^HTTP 200 without a JSON body: <html>Welcome/ })
})

t.test('connection refused and timeouts are retryable network failures', async t => {
  const closed = await new Promise<number>(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)) })
  })
  const refused = createUpstream({ baseUrl: `http://127.0.0.1:${closed}`, userAgent: 'test' })
  t.teardown(() => refused.close())
  t.match(await refused.postJson('/api/gpu-stats', { gpus: [] }), { kind: 'retry', status: null, error: /ECONNREFUSED/ })

  const sink = await startControlPlaneSink({ apiKey: API_KEY, mode: 'slow' })
  t.teardown(() => sink.close())
  const slow = createUpstream({ baseUrl: sink.url, apiKey: API_KEY, userAgent: 'test', timeoutMs: 100 })
  t.teardown(() => slow.close())
  t.match(await slow.postJson('/api/gpu-stats', { gpus: [row(1)] }), { kind: 'retry', status: null })
  t.equal(sink.rows().length, 1, 'an ambiguous failure: the server had stored it')
})

t.test('request: any method, raw bytes, the answer as is', async t => {
  const { createServer } = await import('node:http')
  const seen: Array<{ method?: string, url?: string, type?: string, auth?: string, body: string }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c as Buffer)).on('end', () => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], auth: req.headers.authorization, body: Buffer.concat(chunks).toString() })
      res.writeHead(409, { 'content-type': 'application/json' }).end('{"code":"X"}')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const up = createUpstream({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`, apiKey: API_KEY, userAgent: 'test' })
  t.teardown(() => up.close())
  t.same(await up.request('POST', '/api/x?offset=3', { body: Buffer.from([1, 2, 3]), contentType: 'application/octet-stream' }), { status: 409, text: '{"code":"X"}' })
  t.same(await up.request('GET', '/api/y?a=1'), { status: 409, text: '{"code":"X"}' })
  t.match(seen, [
    { method: 'POST', url: '/prefix/api/x?offset=3', type: 'application/octet-stream', auth: `Bearer ${API_KEY}`, body: '\x01\x02\x03' },
    { method: 'GET', url: '/prefix/api/y?a=1', body: '' },
  ])
})
