import t, { type Test } from 'tap'
import { Hono } from 'hono'
import { listenFake } from '../fakes/runtimes/listen-fake.ts'
import { closedUrl } from '../helpers/closed-url.ts'
import { createTransport } from '../../shared/sdk/http-transport.ts'
import { ApiError, GpufleetError, InvalidArgumentError, NetworkError, ResponseError, TimeoutError } from '../../shared/sdk/errors.ts'

/** The error a request rejects with. */
const failure = (p: Promise<unknown>): Promise<any> => p.then(() => undefined, (e: unknown) => e)

/** A fake that answers `failures` with status `failWith`, then succeeds; it counts calls. */
async function flaky (t: Test, failures: number, failWith: number, headers: Record<string, string> = {}) {
  let calls = 0
  const bodies: string[] = []
  const app = new Hono()
  app.all('/thing', async c => {
    calls++
    bodies.push(await c.req.text())
    if (calls <= failures) return c.json({ statusCode: failWith, code: 'TRY_AGAIN', error: 'x', message: 'not yet' }, failWith as 503, headers)
    return c.json({ ok_now: true, calls, auth: c.req.header('authorization') ?? null, nested: [{ some_field: 1 }] })
  })
  const server = await listenFake(app)
  t.teardown(() => server.close())
  return { url: server.url, calls: () => calls, bodies }
}

t.test('a GET that fails with 503 three times is retried with capped exponential backoff, then succeeds', async t => {
  const fake = await flaky(t, 3, 503)
  const waits: number[] = []
  const http = createTransport({ baseUrl: fake.url, apiKey: 'gfk_k', retries: 4, retryBaseDelayMs: 100, retryMaxDelayMs: 300, sleep: async ms => { waits.push(ms) } })
  t.teardown(() => http.close())
  const body = await http.request<{ ok_now: boolean, calls: number, auth: string, nested: Array<{ some_field: number }> }>('GET', '/thing')
  t.same(body, { okNow: true, calls: 4, auth: 'Bearer gfk_k', nested: [{ someField: 1 }] }, 'camelCase, the key as a bearer token')
  t.same(waits, [100, 200, 300], 'doubling, capped at retryMaxDelayMs')
})

t.test('retries run out: the last answer is thrown as an ApiError', async t => {
  const fake = await flaky(t, 10, 503)
  const http = createTransport({ baseUrl: fake.url, retries: 2, sleep: async () => {} })
  t.teardown(() => http.close())
  const err = await failure(http.request('GET', '/thing'))
  t.ok(err instanceof ApiError && err instanceof GpufleetError)
  t.match(err, { statusCode: 503, code: 'TRY_AGAIN', message: 'not yet', method: 'GET' })
  t.equal(fake.calls(), 3, 'one try plus two retries')
})

t.test('Retry-After is honoured, capped', async t => {
  const fake = await flaky(t, 2, 429, { 'retry-after': '120' })
  const waits: number[] = []
  const http = createTransport({ baseUrl: fake.url, retryMaxDelayMs: 2000, sleep: async ms => { waits.push(ms) } })
  t.teardown(() => http.close())
  await http.request('GET', '/thing')
  t.same(waits, [2000, 2000])
})

t.test('POST and DELETE are never retried unless the caller opts in', async t => {
  const fake = await flaky(t, 1, 503)
  const http = createTransport({ baseUrl: fake.url, sleep: async () => {} })
  t.teardown(() => http.close())
  const err = await failure(http.request('POST', '/thing', { body: { someField: 1 } }))
  t.match(err, { statusCode: 503, code: 'TRY_AGAIN' })
  t.equal(fake.calls(), 1, 'POST: one attempt')
  t.same(JSON.parse(fake.bodies[0] ?? ''), { some_field: 1 }, 'bodies go out snake_case')
  const fake2 = await flaky(t, 1, 503)
  const http2 = createTransport({ baseUrl: fake2.url, sleep: async () => {} })
  t.teardown(() => http2.close())
  t.equal((await failure(http2.request('DELETE', '/thing'))).statusCode, 503)
  t.equal(fake2.calls(), 1, 'DELETE: one attempt')
  t.match(await http2.request('POST', '/thing', { retry: true }), { okNow: true, calls: 2 }, 'retry: true opts in')
})

t.test('a 4xx is not retried and carries code, status, message and details', async t => {
  let calls = 0
  const app = new Hono()
  app.get('/bad', c => { calls++; return c.json({ statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request', message: 'limit: too big', details: { issues: [{ path: 'limit' }] } }, 400) })
  app.get('/html', c => c.html('<h1>bad gateway</h1>', 502))
  app.get('/not-json', c => c.text('hello', 200))
  const server = await listenFake(app)
  t.teardown(() => server.close())
  const http = createTransport({ baseUrl: server.url, retries: 0 })
  t.teardown(() => http.close())
  const err = await failure(http.request('GET', '/bad')) as ApiError
  t.match(err, { name: 'ApiError', statusCode: 400, code: 'VALIDATION_FAILED', error: 'Bad Request', message: 'limit: too big', details: { issues: [{ path: 'limit' }] } })
  t.equal(calls, 1)
  t.match(await failure(http.request('GET', '/html')), { statusCode: 502, code: 'HTTP_502', message: /502 from http:\/\/127\.0\.0\.1:\d+: <h1>bad gateway/ }, 'a body not in the error shape still makes an ApiError')
  const bad = await failure(http.request('GET', '/not-json'))
  t.ok(bad instanceof ResponseError)
  t.equal(bad.code, 'GPUFLEET_ERR_BAD_RESPONSE')
})

t.test('no answer: NetworkError and TimeoutError with stable codes, retried for GET', async t => {
  const waits: number[] = []
  const down = createTransport({ baseUrl: await closedUrl(), retries: 2, sleep: async ms => { waits.push(ms) } })
  t.teardown(() => down.close())
  const err = await failure(down.request('GET', '/x'))
  t.ok(err instanceof NetworkError)
  t.equal(err.code, 'GPUFLEET_ERR_NETWORK')
  t.match(err.message, /ECONNREFUSED/)
  t.equal(waits.length, 2, 'retried twice')

  const app = new Hono()
  app.get('/hang', () => new Promise<Response>(() => {}))
  const server = await listenFake(app)
  t.teardown(() => server.close())
  const slow = createTransport({ baseUrl: server.url, timeoutMs: 100, retries: 0 })
  t.teardown(() => slow.close())
  const timeout = await failure(slow.request('GET', '/hang'))
  t.ok(timeout instanceof TimeoutError)
  t.equal(timeout.code, 'GPUFLEET_ERR_TIMEOUT')
})

t.test('options are validated when the client is built, naming the option', async t => {
  t.throws(() => createTransport({ baseUrl: 'ftp://x' }), InvalidArgumentError)
  t.throws(() => createTransport({ baseUrl: 'not a url' }), { code: 'GPUFLEET_ERR_INVALID_ARG', message: /baseUrl/ })
  t.throws(() => createTransport({ baseUrl: 'http://x', retries: -1 }), { message: /retries/ })
  t.throws(() => createTransport({ baseUrl: 'http://x', apiKey: '' }), { message: /apiKey/ })
})

t.test('ca (issue 12): PEM text or a Buffer; anything else, or ca with a dispatcher, is an InvalidArgumentError', async t => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
  t.doesNotThrow(() => createTransport({ baseUrl: 'https://cp.example', ca: pem }).close())
  t.doesNotThrow(() => createTransport({ baseUrl: 'https://cp.example', ca: Buffer.from(pem) }).close())
  t.throws(() => createTransport({ baseUrl: 'https://cp.example', ca: '/etc/gpufleet/ca.pem' }), { name: 'InvalidArgumentError', message: /ca must be PEM certificate text/ }, 'a path is not PEM')
  t.throws(() => createTransport({ baseUrl: 'https://cp.example', ca: 42 as never }), InvalidArgumentError)
  const { Agent } = await import('undici')
  const dispatcher = new Agent()
  t.teardown(() => dispatcher.close())
  t.throws(() => createTransport({ baseUrl: 'https://cp.example', ca: pem, dispatcher }), { message: /ca and dispatcher do not go together/ })
})
