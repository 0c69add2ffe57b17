import { createServer } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import t from 'tap'
import { createOperatorAuth } from '../../../agent/api/operator-auth.ts'
import type { OperatorAuthOptions } from '../../../agent/api/operator-auth.ts'
import { INTROSPECT_PATH } from '../../../shared/wire/introspect.ts'
import { AGENT_KEY, KEYS, fakeClock, fakeOperatorAuth, sha256Hex } from './fixtures.ts'

async function setup (overrides: Partial<OperatorAuthOptions> = {}) {
  const clock = fakeClock()
  const { auth, introspection, lines } = await fakeOperatorAuth(clock, () => overrides)
  return { auth, clock, introspection, lines }
}

t.test('verdicts from the control plane: superadmin ok, other scopes forbidden, unknown unauthorized', async t => {
  const { auth, introspection } = await setup()
  t.same(await auth.check(KEYS.operator), { verdict: 'ok', via: 'control-plane', keyId: 1 })
  t.same(await auth.check(KEYS.reader), { verdict: 'forbidden', via: 'control-plane', keyId: 2 })
  t.same(await auth.check(KEYS.unknown), { verdict: 'unauthorized', via: 'control-plane', keyId: null })
  t.same(introspection.state.seenAuthorization, [`Bearer ${AGENT_KEY}`, `Bearer ${AGENT_KEY}`, `Bearer ${AGENT_KEY}`], 'the agent authenticates with its own key')
})

t.test('a tenant-bound key is forbidden even with the superadmin scope', async t => {
  const { auth, introspection } = await setup()
  introspection.state.table.set('gfk_tenant_superadmin', { scopes: ['superadmin'], key_id: 5, tenant_id: 3 })
  t.equal((await auth.check('gfk_tenant_superadmin')).verdict, 'forbidden')
})

t.test('verdicts are cached until the TTL passes, then asked again', async t => {
  const { auth, clock, introspection } = await setup({ cacheTtlMs: 30_000 })
  await auth.check(KEYS.operator)
  await auth.check(KEYS.unknown)
  t.equal(introspection.state.calls, 2)
  clock.advance(29_999)
  t.same(await auth.check(KEYS.operator), { verdict: 'ok', via: 'cache', keyId: 1 })
  t.same(await auth.check(KEYS.unknown), { verdict: 'unauthorized', via: 'cache', keyId: null })
  t.equal(introspection.state.calls, 2, 'no call while fresh')
  clock.advance(1)
  // Revoked meanwhile: the next answer after expiry reflects it.
  introspection.state.table.delete(KEYS.operator)
  t.same(await auth.check(KEYS.operator), { verdict: 'unauthorized', via: 'control-plane', keyId: null })
  t.equal(introspection.state.calls, 3)
})

t.test('cacheTtlMs 0 caches nothing', async t => {
  const { auth, introspection } = await setup({ cacheTtlMs: 0 })
  await auth.check(KEYS.operator)
  await auth.check(KEYS.operator)
  t.equal(introspection.state.calls, 2)
})

t.test('concurrent checks of one key share one introspection', async t => {
  const { auth, introspection } = await setup()
  const results = await Promise.all([auth.check(KEYS.operator), auth.check(KEYS.operator), auth.check(KEYS.operator), auth.check(KEYS.reader)])
  t.same(results.map(r => r.verdict), ['ok', 'ok', 'ok', 'forbidden'])
  t.equal(introspection.state.calls, 2, 'one per distinct key')
})

t.test('control plane unreachable: break-glass key accepted, others unavailable, fresh cache still applies', async t => {
  const { auth, clock, introspection, lines } = await setup()
  await auth.check(KEYS.reader)
  introspection.state.mode = 'down'
  t.same(await auth.check(KEYS.breakGlass), { verdict: 'ok', via: 'break-glass', keyId: null })
  t.same(await auth.check(KEYS.operator), { verdict: 'unavailable', via: 'control-plane', keyId: null })
  t.same(await auth.check(KEYS.reader), { verdict: 'forbidden', via: 'cache', keyId: 2 }, 'cached verdict applies')
  clock.advance(60_000)
  t.equal((await auth.check(KEYS.reader)).verdict, 'unavailable', 'expired verdict does not')

  introspection.state.mode = '500'
  t.equal((await auth.check(KEYS.breakGlass)).via, 'break-glass', '5xx counts as unreachable')
  t.equal((await auth.check(KEYS.operator)).verdict, 'unavailable')

  // Break-glass answers are not cached: once the control plane is back, it decides again.
  introspection.state.mode = 'up'
  t.same(await auth.check(KEYS.breakGlass), { verdict: 'unauthorized', via: 'control-plane', keyId: null })

  const logged = lines.join('')
  for (const key of Object.values(KEYS)) t.notOk(logged.includes(key), 'raw keys never reach the log')
  t.notOk(logged.includes(AGENT_KEY), 'nor does the agent key')
  t.match(logged, /break-glass/)
})

t.test('without a break-glass hash, an outage leaves every uncached key unavailable', async t => {
  const { auth, introspection } = await setup({ breakGlassKeySha256: undefined })
  introspection.state.mode = 'down'
  t.equal((await auth.check(KEYS.breakGlass)).verdict, 'unavailable')
})

t.test('without an agent key nothing is introspected; break-glass still works', async t => {
  const { auth, introspection, lines } = await setup({ agentApiKey: undefined })
  t.equal((await auth.check(KEYS.operator)).verdict, 'unavailable')
  t.equal((await auth.check(KEYS.breakGlass)).via, 'break-glass')
  t.equal(introspection.state.calls, 0)
  t.equal(lines.filter(l => l.includes('no agent API key')).length, 1, 'warned once')
})

t.test('odd control-plane answers', async t => {
  const replies: Array<{ status: number, body: unknown }> = [
    { status: 401, body: {} }, // our own key is rejected: not the operator's fault
    { status: 200, body: { nope: true } }, // malformed
    { status: 400, body: {} }, // the key's form was refused: cannot be valid
  ]
  const { auth } = await setup({ request: async () => replies.shift() as { status: number, body: unknown }, cacheTtlMs: 0 })
  t.equal((await auth.check('k1')).verdict, 'unavailable')
  t.equal((await auth.check('k2')).verdict, 'unavailable')
  t.equal((await auth.check('k3')).verdict, 'unauthorized')
})

t.test('the cache is bounded', async t => {
  const { auth, introspection } = await setup({ maxCacheEntries: 2 })
  await auth.check('a')
  await auth.check('b')
  await auth.check('c') // evicts 'a'
  await auth.check('c')
  await auth.check('a')
  t.equal(introspection.state.calls, 4)
})

t.test('options are validated when built', async t => {
  const base = { controlPlaneUrl: 'http://127.0.0.1:8080', cacheTtlMs: 1000 }
  t.throws(() => createOperatorAuth({ ...base, cacheTtlMs: 60_001 }), /cacheTtlMs must be an integer from 0 to 60000/)
  t.throws(() => createOperatorAuth({ ...base, cacheTtlMs: -1 }), /cacheTtlMs/)
  t.throws(() => createOperatorAuth({ ...base, controlPlaneUrl: 'ftp://x' }), /controlPlaneUrl must be an http\(s\) URL/)
  t.throws(() => createOperatorAuth({ ...base, controlPlaneUrl: 'nope' }), /controlPlaneUrl/)
  t.throws(() => createOperatorAuth({ ...base, breakGlassKeySha256: 'ABC' }), /breakGlassKeySha256 must be 64 lowercase hex/)
  t.throws(() => createOperatorAuth({ ...base, timeoutMs: 0 }), /timeoutMs/)
})

t.test('default HTTP request against a fake control plane on loopback', async t => {
  const seen: Array<{ authorization: string | undefined, key: string }> = []
  const cp = new Hono()
  cp.post(`/prefix${INTROSPECT_PATH}`, async c => {
    const body = await c.req.json() as { key: string }
    seen.push({ authorization: c.req.header('authorization'), key: body.key })
    return c.json(body.key === KEYS.operator
      ? { active: true, scopes: ['superadmin'], key_id: 11, tenant_id: null }
      : { active: false, scopes: [], key_id: null, tenant_id: null })
  })
  const server = serve({ fetch: cp.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>(resolve => server.once('listening', () => resolve()))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const { port } = server.address() as { port: number }

  const auth = createOperatorAuth({ controlPlaneUrl: `http://127.0.0.1:${port}/prefix/`, agentApiKey: AGENT_KEY, cacheTtlMs: 1000 })
  t.same(await auth.check(KEYS.operator), { verdict: 'ok', via: 'control-plane', keyId: 11 })
  t.equal((await auth.check(KEYS.unknown)).verdict, 'unauthorized')
  t.same(seen, [{ authorization: `Bearer ${AGENT_KEY}`, key: KEYS.operator }, { authorization: `Bearer ${AGENT_KEY}`, key: KEYS.unknown }])
})

t.test('default HTTP request: a closed port is unreachable, so break-glass applies', async t => {
  const port = await closedPort()
  const auth = createOperatorAuth({
    controlPlaneUrl: `http://127.0.0.1:${port}`,
    agentApiKey: AGENT_KEY,
    breakGlassKeySha256: await sha256Hex(KEYS.breakGlass),
    cacheTtlMs: 1000,
  })
  t.equal((await auth.check(KEYS.operator)).verdict, 'unavailable')
  t.same(await auth.check(KEYS.breakGlass), { verdict: 'ok', via: 'break-glass', keyId: null })
})

/** A loopback port nobody listens on (bound, read, released). */
function closedPort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

t.test('a new revocation epoch drops every cached verdict; verdicts then live only until the control plane\'s own cache has turned over', async t => {
  const { auth, clock, introspection } = await setup()
  auth.revocationEpoch!(4)
  t.equal(auth.currentEpoch!(), 4)
  clock.advance(10_000)
  await auth.check(KEYS.operator)
  t.equal((await auth.check(KEYS.operator)).via, 'cache')
  auth.revocationEpoch!(4)
  t.equal((await auth.check(KEYS.operator)).via, 'cache', 'the same epoch again changes nothing')
  auth.revocationEpoch!(5)
  t.equal(introspection.state.calls, 1)
  t.equal((await auth.check(KEYS.operator)).via, 'control-plane', 'asked again after the change')
  clock.advance(4999)
  t.equal((await auth.check(KEYS.operator)).via, 'cache')
  clock.advance(1)
  t.equal((await auth.check(KEYS.operator)).via, 'control-plane', 'a verdict fetched right after a change is cached only 5 s (a replica may still hold the key)')
  clock.advance(59_999)
  t.equal((await auth.check(KEYS.operator)).via, 'cache', 'later verdicts get the full TTL again')
})

t.test('an introspection in flight across an epoch change answers, but is not cached', async t => {
  const { auth, introspection } = await setup()
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  const original = introspection.request
  const slow = createOperatorAuth({
    controlPlaneUrl: 'http://127.0.0.1:8080',
    agentApiKey: AGENT_KEY,
    cacheTtlMs: 60_000,
    request: async (...args) => { await gate; return original(...args) },
  })
  void auth
  const pending = slow.check(KEYS.operator)
  slow.revocationEpoch!(1)
  release()
  t.equal((await pending).verdict, 'ok')
  t.equal((await slow.check(KEYS.operator)).via, 'control-plane', 'asked again: the first answer may predate the revoke')
})
