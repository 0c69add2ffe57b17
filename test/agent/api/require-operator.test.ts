import t from 'tap'
import { createAuthFailureLimiter } from '../../../agent/api/auth-failure-limiter.ts'
import { requireOperator } from '../../../agent/api/require-operator.ts'
import { KEYS, agentHarness, bearer, fakeClock } from './fixtures.ts'

t.test('401 without a key, with an unknown key, with a non-Bearer scheme', async t => {
  const { app, introspection, purge } = await agentHarness()
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['no key', {}, /missing API key/],
    ['empty bearer', { authorization: 'Bearer ' }, /unsupported Authorization header/],
    ['basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, /unsupported Authorization header/],
    ['unknown bearer', bearer(KEYS.unknown), /invalid or revoked/],
    ['unknown x-api-key', { 'x-api-key': KEYS.unknown }, /invalid or revoked/],
    ['absurdly long key', bearer('k'.repeat(600)), /invalid or revoked/],
  ]
  for (const [name, headers, message] of cases) {
    for (const [method, path] of [['GET', '/v1/gpu/status'], ['GET', '/v1/gpu/memory'], ['POST', '/v1/gpu/purge']] as const) {
      const res = await app.request(path, { method, headers })
      t.equal(res.status, 401, `${name}: ${method} ${path}`)
      t.equal(res.headers.get('www-authenticate'), 'Bearer realm="gpufleet-agent"')
      t.match(await res.json(), { statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message })
    }
  }
  t.equal(purge.calls.length, 0)
  t.equal(introspection.state.calls, 1, 'the unknown key asked once (Bearer or x-api-key alike), then cached; no call for missing or oversize keys')
})

t.test('403 for a valid key without the superadmin scope', async t => {
  const { app, purge } = await agentHarness()
  for (const headers of [bearer(KEYS.reader), { 'x-api-key': KEYS.reader }]) {
    const res = await app.request('/v1/gpu/purge', { method: 'POST', headers })
    t.equal(res.status, 403)
    t.match(await res.json(), { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: /superadmin scope/ })
  }
  t.equal(purge.calls.length, 0)
})

t.test('200 for a superadmin key via Bearer and via x-api-key; the verdict is cached', async t => {
  const { app, clock, introspection } = await agentHarness()
  t.equal((await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).status, 200)
  t.equal((await app.request('/v1/gpu/status', { headers: { authorization: `bearer   ${KEYS.operator}` } })).status, 200, 'scheme is case-insensitive')
  t.equal((await app.request('/v1/gpu/memory', { headers: { 'x-api-key': KEYS.operator } })).status, 200)
  t.equal(introspection.state.calls, 1, 'later requests answered from the cache')
  clock.advance(60_000)
  // Data is stale by now, but auth comes first and asks the control plane again.
  await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  t.equal(introspection.state.calls, 2, 'asked again after the TTL')
})

t.test('control plane down: break-glass key gets in, any other key gets 503 AUTH_UNAVAILABLE', async t => {
  const { app, introspection, lines } = await agentHarness()
  introspection.state.mode = 'down'
  t.equal((await app.request('/v1/gpu/status', { headers: bearer(KEYS.breakGlass) })).status, 200)
  const res = await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  t.equal(res.status, 503)
  t.same(await res.json(), {
    statusCode: 503, code: 'AUTH_UNAVAILABLE', error: 'Service Unavailable', message: 'control plane unreachable; use the break-glass key',
  })
  t.notOk(lines.join('').includes(KEYS.breakGlass), 'break-glass key not logged')
})

t.test('repeated invalid keys from one address are slowed down (429), others are not', async t => {
  const { app, clock, introspection } = await agentHarness({
    deps: { clientAddress: c => c.req.header('x-test-peer') ?? 'unknown' },
  })
  const from = (peer: string, key: string) => app.request('/v1/gpu/status', { headers: { ...bearer(key), 'x-test-peer': peer } })
  for (let i = 0; i < 10; i++) t.equal((await from('10.0.0.66', `guess-${i}`)).status, 401)
  const limited = await from('10.0.0.66', 'guess-10')
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '6')
  t.same(await limited.json(), {
    statusCode: 429, code: 'TOO_MANY_AUTH_FAILURES', error: 'Too Many Requests',
    message: 'too many failed authentication attempts from this address; retry in 6 s', details: { retry_after_s: 6 },
  })
  t.equal(introspection.state.calls, 10, 'a limited attempt never reaches the control plane')
  t.equal((await from('10.0.0.7', KEYS.operator)).status, 200, 'another address is unaffected')
  clock.advance(6000)
  t.equal((await from('10.0.0.66', KEYS.operator)).status, 200, 'one attempt forgiven per 6 s')
})

t.test('a braked address still gets through with a valid key: only failures are slowed (issue 12)', async t => {
  const { app, introspection } = await agentHarness({
    deps: { clientAddress: c => c.req.header('x-test-peer') ?? 'unknown' },
  })
  const from = (peer: string, key: string) => app.request('/v1/gpu/status', { headers: { ...bearer(key), 'x-test-peer': peer } })
  // The operator's key is checked once from the NAT both share, then a scanner behind it guesses.
  t.equal((await from('10.0.0.66', KEYS.operator)).status, 200)
  for (let i = 0; i < 10; i++) t.equal((await from('10.0.0.66', `guess-${i}`)).status, 401)
  t.equal((await from('10.0.0.66', 'guess-10')).status, 429, 'the scanner is slowed')
  const calls = introspection.state.calls
  t.equal((await from('10.0.0.66', KEYS.operator)).status, 200, 'the operator is not locked out')
  t.equal(introspection.state.calls, calls, 'from its cached verdict: a braked address causes no introspection')
})

t.test('limiter off with authLimiter: null', async t => {
  const { app } = await agentHarness({ deps: { authLimiter: null } })
  for (let i = 0; i < 20; i++) t.equal((await app.request('/v1/gpu/status', { headers: bearer(`guess-${i}`) })).status, 401)
})

t.test('auth failure limiter: token bucket arithmetic and bounded memory', async t => {
  const clock = fakeClock(0)
  const limiter = createAuthFailureLimiter({ burst: 2, refillEveryMs: 1000, maxClients: 2, now: clock.now })
  t.equal(limiter.retryAfterMs('a'), 0)
  limiter.fail('a')
  t.equal(limiter.retryAfterMs('a'), 0)
  limiter.fail('a')
  t.equal(limiter.retryAfterMs('a'), 1000)
  clock.advance(400)
  t.equal(limiter.retryAfterMs('a'), 600)
  clock.advance(600)
  t.equal(limiter.retryAfterMs('a'), 0)
  limiter.fail('a')
  limiter.fail('b')
  limiter.fail('b')
  limiter.fail('c') // over maxClients: the least recently failed ('a') is forgotten
  t.equal(limiter.retryAfterMs('a'), 0)
  t.equal(limiter.retryAfterMs('b'), 1000)
  t.throws(() => createAuthFailureLimiter({ burst: 0 }), /burst must be a positive integer/)
})

t.test('requireOperator validates its options when built', async t => {
  t.throws(() => requireOperator({ auth: {} as never }), /auth must be an OperatorAuth/)
})
