import t from 'tap'
import { createRoute, z } from '@hono/zod-openapi'
import { createRouter } from '../../control-plane/http/create-router.ts'
import type { RouterContext } from '../../control-plane/http/router-mount.ts'
import { cpHarness, isError } from './cp-harness.ts'

// A read-scoped and a write-scoped route, mounted the way colleagues' routers are.
function probeRouter ({ requireScope }: RouterContext) {
  const r = createRouter()
  r.openapi({ ...createRoute({ method: 'get', path: '/api/probe', responses: { 200: { description: 'ok' } } }), middleware: [requireScope('read')] },
    c => c.json({ via: c.var.principal.via, scopes: c.var.principal.scopes }, 200))
  r.openapi({
    ...createRoute({ method: 'post', path: '/api/probe', request: { body: { required: true, content: { 'application/json': { schema: z.object({ n: z.number() }) } } } }, responses: { 200: { description: 'ok' } } }),
    middleware: [requireScope('write')],
  }, c => c.json({ n: c.req.valid('json').n }, 200))
  return r
}
const routers = [{ path: '/', router: probeRouter }]

t.test('scopes', async t => {
  const h = await cpHarness(t, { routers })
  const read = await h.mint(['read'])
  const write = await h.mint(['write'])
  const ingest = await h.mint(['ingest'])

  const forbidden = await h.req('GET', '/api/api-keys', { key: read.key })
  isError(t, forbidden, 403, 'FORBIDDEN', 'read key on an admin route')
  t.match(forbidden.body.message, /'admin'/, 'names the needed scope')
  t.same(forbidden.body.details, { required_scope: 'admin' })
  isError(t, await h.req('GET', '/api/api-keys', { key: ingest.key }), 403, 'FORBIDDEN', 'ingest key on api-keys')
  isError(t, await h.req('POST', '/api/api-keys', { key: ingest.key, body: { label: 'x' } }), 403, 'FORBIDDEN', 'ingest key cannot mint')
  isError(t, await h.req('GET', '/api/probe', { key: ingest.key }), 403, 'FORBIDDEN', 'ingest implies no read')
  t.equal((await h.req('POST', '/api/auth/introspect', { key: ingest.key, body: { key: read.key } })).status, 200, 'ingest key on introspect')
  isError(t, await h.req('POST', '/api/auth/introspect', { key: read.key, body: { key: read.key } }), 403, 'FORBIDDEN', 'read key on introspect')

  t.equal((await h.req('GET', '/api/probe', { key: read.key })).status, 200, 'read on read')
  isError(t, await h.req('POST', '/api/probe', { key: read.key, body: { n: 1 } }), 403, 'FORBIDDEN', 'read on write')
  t.equal((await h.req('POST', '/api/probe', { key: write.key, body: { n: 1 } })).status, 200, 'write on write')
  t.equal((await h.req('GET', '/api/probe', { key: write.key })).status, 200, 'write implies read')

  for (const [method, path, body] of [['GET', '/api/probe'], ['POST', '/api/probe', { n: 1 }], ['GET', '/api/api-keys'], ['POST', '/api/auth/introspect', { key: read.key }]] as const) {
    t.equal((await h.req(method, path, { key: h.root, ...(body === undefined ? {} : { body }) })).status, 200, `superadmin: ${method} ${path}`)
  }
})

t.test('auth runs before validation: a bad body from a stranger is 401, not 400', async t => {
  const h = await cpHarness(t, { routers })
  isError(t, await h.req('POST', '/api/api-keys', { body: { nope: true } }), 401, 'UNAUTHORIZED')
})

t.test('Authorization: Bearer and x-api-key both work; malformed credentials are 401', async t => {
  const h = await cpHarness(t, { routers })
  const { key } = await h.mint(['read'])
  t.equal((await h.req('GET', '/api/probe', { key })).status, 200, 'Bearer')
  t.equal((await h.req('GET', '/api/probe', { key, viaHeader: true })).status, 200, 'x-api-key')
  t.equal((await h.req('GET', '/api/probe', { headers: { authorization: `bearer ${key}` } })).status, 200, 'scheme is case-insensitive')
  t.equal((await h.req('GET', '/api/probe', { headers: { authorization: `Bearer ${key}`, 'x-api-key': key } })).status, 200, 'both, same key')
  const bad: Array<[string, Record<string, string>]> = [
    ['missing', {}],
    ['Basic scheme', { authorization: `Basic ${Buffer.from(`u:${key}`).toString('base64')}` }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
    ['empty x-api-key', { 'x-api-key': '' }],
    ['unknown well-formed key', { authorization: `Bearer gfk_${'0'.repeat(64)}` }],
    ['not a gfk_ key', { 'x-api-key': 'hunter2' }],
    ['truncated key', { authorization: `Bearer ${key.slice(0, 40)}` }],
    ['key with a changed last char', { authorization: `Bearer ${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}` }],
    ['two different keys', { authorization: `Bearer ${key}`, 'x-api-key': h.root }],
    ['a 10 kB key', { 'x-api-key': `gfk_${'a'.repeat(10_000)}` }],
  ]
  for (const [name, headers] of bad) {
    const res = await h.req('GET', '/api/probe', { headers })
    isError(t, res, 401, 'UNAUTHORIZED', name)
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="gpufleet"')
  }
})

t.test('demo mode is off by default: no credential → 401', async t => {
  const h = await cpHarness(t, { routers })
  isError(t, await h.req('GET', '/api/probe'), 401, 'UNAUTHORIZED')
  isError(t, await h.req('GET', '/api/api-keys'), 401, 'UNAUTHORIZED')
})

t.test('demo mode (--demo): no credential → read-only; a bad credential is still 401', async t => {
  const h = await cpHarness(t, { routers, config: { demo: true } })
  const res = await h.req('GET', '/api/probe')
  t.equal(res.status, 200)
  t.same(res.body, { via: 'demo', scopes: ['read'] })
  isError(t, await h.req('POST', '/api/probe', { body: { n: 1 } }), 403, 'FORBIDDEN', 'demo cannot write')
  isError(t, await h.req('GET', '/api/api-keys'), 403, 'FORBIDDEN', 'demo cannot list keys')
  isError(t, await h.req('POST', '/api/api-keys', { body: { label: 'x' } }), 403, 'FORBIDDEN', 'demo cannot mint')
  isError(t, await h.req('GET', '/api/probe', { key: `gfk_${'0'.repeat(64)}` }), 401, 'UNAUTHORIZED', 'bad key is not demo')
  isError(t, await h.req('GET', '/api/probe', { headers: { authorization: 'Basic eA==' } }), 401, 'UNAUTHORIZED', 'bad scheme is not demo')
  t.equal((await h.list()).length, 1, 'nothing written')
})

t.test('failed auth is rate-limited per client address, refilled by the clock', async t => {
  const h = await cpHarness(t, { routers })
  const bad = `gfk_${'0'.repeat(64)}`
  const { key } = await h.mint(['read'])
  for (let i = 0; i < 20; i++) {
    t.equal((await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })).status, 401, `failure ${i + 1}`)
  }
  const limited = await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })
  isError(t, limited, 429, 'TOO_MANY_AUTH_FAILURES')
  t.equal(limited.headers.get('retry-after'), '3', '20 per minute: one back every 3 s')
  t.equal((await h.req('GET', '/api/probe', { key, address: '203.0.113.9' })).status, 200, 'a good key is never slowed: only failures are')
  isError(t, await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' }), 429, 'TOO_MANY_AUTH_FAILURES', 'while bad keys from there keep waiting')
  t.equal((await h.req('GET', '/api/probe', { key, address: '198.51.100.4' })).status, 200, 'other addresses unaffected')
  t.equal((await h.req('GET', '/api/probe', { key: bad, address: '198.51.100.4' })).status, 401, 'and still get 401, not 429')
  isError(t, await h.req('GET', '/api/probe', { address: '203.0.113.9' }), 401, 'UNAUTHORIZED', 'no credential guesses nothing: 401, not counted')

  h.advance(3000)
  t.equal((await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })).status, 401, 'refilled after Retry-After: one more try')
  t.equal((await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })).status, 429, 'then limited again')
  h.advance(60_000)
  for (let i = 0; i < 20; i++) await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })
  t.equal((await h.req('GET', '/api/probe', { key: bad, address: '203.0.113.9' })).status, 429, 'a full minute refills the whole burst, no more')
  t.match(await (await h.app.request('/metrics')).text(), /gpufleet_cp_auth_failures_total\{reason="rate_limited"\} [1-9]/)
})

t.test('25 bad keys from the agents\' address (a NAT) lock out no valid key: admin, agent and introspection keep working', async t => {
  const h = await cpHarness(t, { routers })
  const nat = '198.51.100.20'
  const agent = await h.mint(['ingest'])
  const bad = (i: number) => `gfk_${i.toString(16).padStart(64, 'e')}`
  for (let i = 0; i < 25; i++) await h.req('GET', '/api/probe', { key: bad(i), address: nat })
  isError(t, await h.req('GET', '/api/probe', { key: bad(99), address: nat }), 429, 'TOO_MANY_AUTH_FAILURES', 'the guesser is slowed')
  t.equal((await h.req('GET', '/api/api-keys', { key: h.root, address: nat })).status, 200, 'the admin key works from the same address')
  const introspected = await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key: h.root }, address: nat })
  t.equal(introspected.status, 200, 'the agent key works from the same address')
  t.equal(introspected.body.active, true)
  t.equal((await h.req('GET', '/api/probe', { key: h.root, viaHeader: true, address: nat })).status, 200, 'x-api-key too')
  t.match(await (await h.app.request('/metrics')).text(), /gpufleet_cp_auth_failures_total\{reason="rate_limited"\} 6\n/, 'the 6 guesses past the budget of 20 are counted as rate-limited, the valid keys are not')
})

t.test('introspection', async t => {
  const h = await cpHarness(t)
  const agent = await h.mint(['ingest'])
  const op = await h.mint(['read', 'write'], { tenant_id: 4 })
  const check = async (key: string) => (await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key } }))

  let res = await check(op.key)
  t.equal(res.status, 200)
  t.same(res.body, { active: true, scopes: ['read', 'write'], key_id: op.id, tenant_id: 4 })
  t.same((await check(h.root)).body, { active: true, scopes: ['superadmin'], key_id: 1, tenant_id: null })
  t.equal((await h.list()).find(k => k.id === op.id).last_used_at !== null, true, 'a key used at an agent counts as used')

  const inactive = { active: false, scopes: [], key_id: null, tenant_id: null }
  t.same((await check(`gfk_${'f'.repeat(64)}`)).body, inactive, 'unknown → 200 inactive')
  t.same((await check('not-a-key')).body, inactive, 'malformed → 200 inactive')
  await h.req('DELETE', `/api/api-keys/${op.id}`, { key: h.root })
  res = await check(op.key)
  t.equal(res.status, 200)
  t.same(res.body, inactive, 'revoked → inactive at once')

  isError(t, await h.req('POST', '/api/auth/introspect', { key: agent.key, body: {} }), 400, 'VALIDATION_FAILED', 'missing key')
  isError(t, await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key: 5 } }), 400, 'VALIDATION_FAILED', 'key not a string')
  isError(t, await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key: 'x'.repeat(513) } }), 400, 'VALIDATION_FAILED', 'key too long')
  isError(t, await h.req('POST', '/api/auth/introspect', { key: agent.key, body: '{' }), 400, 'BAD_REQUEST', 'invalid JSON')
  isError(t, await h.req('POST', '/api/auth/introspect', { body: { key: op.key } }), 401, 'UNAUTHORIZED', 'caller must authenticate')
})

t.test('inactive introspections do not feed the caller\'s address limit but have their own bound', async t => {
  const h = await cpHarness(t, { config: { introspectFailuresPerMinute: 5 } })
  const agent = await h.mint(['ingest'])
  const other = await h.mint(['ingest'])
  const guess = (n: number) => `gfk_${n.toString(16).padStart(64, '0')}`
  for (let i = 0; i < 25; i++) {
    const res = await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key: guess(i) }, address: '10.1.1.1' })
    if (i < 5) t.equal(res.status, 200, `inactive answer ${i + 1}`)
    else if (i === 5) {
      isError(t, res, 429, 'TOO_MANY_AUTH_FAILURES', 'the 6th inactive answer in a minute is refused')
      t.ok(Number(res.headers.get('retry-after')) > 0)
    }
  }
  t.equal((await h.req('GET', '/api/api-keys', { key: h.root, address: '10.1.1.1' })).status, 200, 'the address is not rate-limited')
  t.equal((await h.req('POST', '/api/auth/introspect', { key: other.key, body: { key: guess(99) }, address: '10.1.1.1' })).status, 200, 'another agent key has its own bucket')
  h.advance(12_000)
  t.equal((await h.req('POST', '/api/auth/introspect', { key: agent.key, body: { key: guess(1) }, address: '10.1.1.1' })).status, 200, 'refilled by the clock')
})

t.test('the introspection budget: active keys are always answered, and one agent host\'s guesses do not spend another\'s', async t => {
  const h = await cpHarness(t, { config: { introspectFailuresPerMinute: 3 } })
  // Every agent of a cluster shares the cluster's key; each host has its own address.
  const cluster = await h.mint(['ingest'])
  const op = await h.mint(['superadmin'])
  const guess = (n: number) => `gfk_${n.toString(16).padStart(64, 'd')}`
  const ask = (key: string, address: string) => h.req('POST', '/api/auth/introspect', { key: cluster.key, body: { key }, address })
  for (let i = 0; i < 3; i++) t.same((await ask(guess(i), '10.0.0.1')).body.active, false, `guess ${i + 1} relayed by host 1`)
  isError(t, await ask(guess(3), '10.0.0.1'), 429, 'TOO_MANY_AUTH_FAILURES', 'host 1 is out of budget for inactive keys')
  let res = await ask(op.key, '10.0.0.1')
  t.equal(res.status, 200, 'a valid operator key is still answered on host 1')
  t.equal(res.body.active, true)
  res = await ask(op.key, '10.0.0.2')
  t.equal(res.status, 200, 'and on host 2')
  t.equal(res.body.active, true)
  t.same((await ask(guess(4), '10.0.0.2')).body, { active: false, scopes: [], key_id: null, tenant_id: null }, 'host 2 still gets real verdicts for unknown keys')
})

t.test('keys never reach the log', async t => {
  const h = await cpHarness(t, { routers })
  const { key } = await h.mint(['ingest'])
  await h.req('GET', '/api/probe', { key })
  await h.req('GET', '/api/probe', { key: key.slice(0, -2) + 'zz' })
  await h.req('POST', '/api/auth/introspect', { key, body: { key: h.root } })
  await h.req('GET', '/api/api-keys', { key: h.root, viaHeader: true })
  const logs = h.logs()
  t.match(logs, /"route":"\/api\/auth\/introspect"/, 'requests are logged')
  t.match(logs, /"keyId":1/, 'by key id')
  for (const k of [key, h.root]) t.notOk(logs.includes(k.slice(12)), 'no key material past the prefix')
  t.notOk(/authorization|x-api-key/i.test(logs), 'no auth headers')
})
