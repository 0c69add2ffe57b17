import t from 'tap'
import { hashSessionId } from '../../../control-plane/auth/session-tokens.ts'
import { SESSION_COOKIE } from '../../../control-plane/auth/create-session-auth.ts'
import { consoleHarness, TTL_MS } from './console-harness.ts'

const cookieValue = (cookie: string) => cookie.slice(SESSION_COOKIE.length + 1)

t.test('login with a superadmin key: 303 to /, an HttpOnly SameSite=Strict Path=/ cookie that is not the key; only its hash is stored', async t => {
  const h = await consoleHarness(t)
  const res = await h.req('POST', '/login', { form: { key: h.root } })
  t.equal(res.status, 303)
  t.equal(res.headers.get('location'), '/')
  const set = res.headers.get('set-cookie') ?? ''
  t.match(set, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`))
  t.match(set, /HttpOnly/)
  t.match(set, /SameSite=Strict/)
  t.match(set, /Path=\//)
  t.match(set, /Max-Age=3600/)
  t.notMatch(set, /Secure/, 'plain HTTP: no Secure flag (the browser would drop the cookie)')
  t.notMatch(set, new RegExp(h.root), 'the key is not the cookie')
  const { cookie } = await h.login()
  t.ok(await h.store.sessions.findActive(hashSessionId(cookieValue(cookie)), h.now()), 'stored under the SHA-256 of the id')
  t.equal(await h.store.sessions.findActive(cookieValue(cookie), h.now()), null, 'the raw id is not a stored key')
})

t.test('a login posted from another origin is refused (login CSRF)', async t => {
  const h = await consoleHarness(t)
  const res = await h.req('POST', '/login', { form: { key: h.root }, headers: { origin: 'https://evil.example' } })
  t.equal(res.status, 403)
  t.equal(res.headers.get('set-cookie'), null)
  t.equal((await h.req('POST', '/login', { form: { key: h.root }, headers: { origin: 'http://localhost' } })).status, 303, 'our own origin is fine')
})

t.test('Secure cookie when the request came over TLS', async t => {
  const h = await consoleHarness(t)
  const res = await h.req('POST', 'https://console.example/login', { form: { key: h.root } })
  t.equal(res.status, 303)
  t.match(res.headers.get('set-cookie') ?? '', /; Secure/)
})

t.test('an admin key logs in; read/write and ingest keys are refused with a clear message and no cookie', async t => {
  const h = await consoleHarness(t)
  const admin = await h.mint(['admin'])
  t.equal((await h.req('POST', '/login', { form: { key: admin.key } })).status, 303)
  for (const scopes of [['read', 'write'], ['ingest']]) {
    const k = await h.mint(scopes)
    const res = await h.req('POST', '/login', { form: { key: k.key } })
    t.equal(res.status, 403, `${scopes} refused`)
    t.match(res.text, /needs an admin or superadmin key/)
    t.equal(res.headers.get('set-cookie'), null)
    t.notMatch(res.text, new RegExp(k.key), 'the typed key is not echoed back')
  }
})

t.test('bad logins: 400 for an empty or missing key, 401 for a wrong one; never a 500, never a cookie', async t => {
  const h = await consoleHarness(t, { config: { authFailuresPerMinute: 100 } })
  const cases: Array<[string, Parameters<typeof h.req>[2], number]> = [
    ['missing field', { form: {} }, 400],
    ['blank key', { form: { key: '   ' } }, 400],
    ['wrong key', { form: { key: 'gfk_' + 'a'.repeat(64) } }, 401],
    ['not a key at all', { form: { key: 'hello' } }, 401],
    ['a huge key', { form: { key: 'gfk_' + 'x'.repeat(50_000) } }, 401],
    ['JSON body, wrong key', { json: { key: 'nope' } }, 401],
    ['JSON body, not an object', { json: [1, 2] }, 400],
    ['broken JSON', { headers: { 'content-type': 'application/json' }, form: { key: 'x' } }, 400],
  ]
  for (const [name, o, status] of cases) {
    const res = await h.req('POST', '/login', o)
    t.equal(res.status, status, name)
    t.equal(res.headers.get('set-cookie'), null, `${name}: no cookie`)
  }
  const plain = await h.req('POST', '/login', { form: { key: h.root }, headers: { 'content-type': 'text/plain' } })
  t.equal(plain.status, 415, 'a body that is neither form nor JSON: 415 in the one error shape')
  t.equal(plain.body.code, 'UNSUPPORTED_MEDIA_TYPE')
  const big = await h.req('POST', '/login', { form: { key: 'x'.repeat(2 * 1024 * 1024) } })
  t.equal(big.status, 413)
  t.equal((await h.req('POST', '/api/api-keys', { form: { label: 'x' } })).status, 415, 'form bodies are accepted on the console paths only')
})

t.test('failed logins drain the same per-address bucket as bad API keys; the right key is never refused', async t => {
  const h = await consoleHarness(t, { config: { authFailuresPerMinute: 3 } })
  for (let i = 0; i < 3; i++) t.equal((await h.req('POST', '/login', { form: { key: 'gfk_' + 'b'.repeat(64) } })).status, 401)
  const limited = await h.req('POST', '/login', { form: { key: 'gfk_' + 'b'.repeat(64) } })
  t.equal(limited.status, 429, 'a further wrong key waits')
  t.match(limited.text, /too many failed attempts/)
  t.ok(Number(limited.headers.get('retry-after')) > 0)
  t.equal((await h.req('POST', '/login', { form: { key: h.root } })).status, 303, 'the right key logs in from the same address')
  const api = await h.req('GET', '/api/api-keys', { key: 'gfk_' + 'c'.repeat(64) })
  t.equal(api.status, 429, 'the API shares the bucket')
  t.equal((await h.req('POST', '/login', { form: { key: 'gfk_' + 'b'.repeat(64) }, address: '198.51.100.7' })).status, 401, 'another address is not affected')
  h.advance(60_000)
  t.equal((await h.req('POST', '/login', { form: { key: 'gfk_' + 'b'.repeat(64) } })).status, 401, 'refilled after a minute')
})

t.test('mutating API requests through a session need the CSRF token; GETs do not', async t => {
  const h = await consoleHarness(t)
  const { cookie, csrf } = await h.login()
  const other = await h.login()
  t.not(csrf, other.csrf, 'per session')
  const before = (await h.store.apiKeys.list()).length
  const create = (headers: Record<string, string>) => h.req('POST', '/api/api-keys', { cookie, headers, json: { label: 'from console', permissions: ['read'] } })
  for (const [name, headers] of [
    ['no token', {}],
    ['wrong token', { 'x-csrf-token': 'x'.repeat(csrf.length) }],
    ['a token of another session', { 'x-csrf-token': other.csrf }],
    ['right token, foreign Origin', { 'x-csrf-token': csrf, origin: 'https://evil.example' }],
  ] as const) {
    const res = await create(headers)
    t.equal(res.status, 403, name)
    t.equal(res.body.code, 'CSRF_INVALID', `${name}: CSRF_INVALID`)
  }
  t.equal((await h.store.apiKeys.list()).length, before, 'nothing was written')
  const ok = await create({ 'x-csrf-token': csrf, origin: 'http://localhost' })
  t.equal(ok.status, 201)
  t.match(ok.body.key, /^gfk_/, 'the new key is shown once, in the answer')
  t.equal((await h.req('GET', '/api/api-keys', { cookie })).status, 200, 'GET: no token needed')
  const cancel = await h.req('PATCH', '/api/alerts/rules/1', { cookie, json: { enabled: false } })
  t.equal(cancel.status, 403, 'PATCH without a token')
  t.equal((await h.req('PATCH', '/api/alerts/rules/1', { cookie, json: { enabled: false }, headers: { 'x-csrf-token': csrf } })).body.enabled, false)
})

t.test("seed 000's session-authenticated GETs accept the session as well as keys", async t => {
  const h = await consoleHarness(t)
  const { cookie } = await h.login()
  t.equal((await h.req('GET', '/api/gpu-stats', { cookie })).status, 200)
  const ph = await h.req('GET', '/api/gpu-stats/power-history?days=1&bucket_minutes=5', { cookie })
  t.equal(ph.status, 200)
  t.match(ph.body, { days: 1, bucket_minutes: 5, points: [] })
  t.equal((await h.req('GET', '/api/gpu-stats', { key: h.root })).status, 200, 'keys still work')
  const none = await h.req('GET', '/api/gpu-stats')
  t.equal(none.status, 401)
  const bad = await h.req('GET', '/api/gpu-stats', { cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` })
  t.equal(bad.status, 401)
  t.match(bad.body.message, /session has expired or ended/)
  t.equal((await h.req('GET', '/api/gpu-stats', { cookie: `${SESSION_COOKIE}=not-a-session` })).status, 401, 'malformed cookie')
})

t.test('expiry: the session works until its TTL, then pages go to /login and the API answers 401', async t => {
  const h = await consoleHarness(t)
  const { cookie } = await h.login()
  h.advance(TTL_MS - 1)
  t.equal((await h.req('GET', '/jobs', { cookie })).status, 200)
  h.advance(1)
  const page = await h.req('GET', '/jobs', { cookie })
  t.equal(page.status, 303)
  t.equal(page.headers.get('location'), '/login')
  t.match(page.headers.get('set-cookie') ?? '', /Max-Age=0/, 'the stale cookie is cleared')
  t.equal((await h.req('GET', '/api/gpu-stats', { cookie })).status, 401)
  t.equal((await h.req('GET', '/fragments/jobs', { cookie })).status, 401)
})

t.test('logout needs the CSRF field, deletes the session and clears the cookie', async t => {
  const h = await consoleHarness(t)
  const { cookie, csrf } = await h.login()
  const stale = await h.req('POST', '/logout', { cookie, form: { _csrf: 'nope' } })
  t.equal(stale.status, 403)
  t.equal((await h.req('GET', '/', { cookie })).status, 200, 'still logged in')
  const out = await h.req('POST', '/logout', { cookie, form: { _csrf: csrf } })
  t.equal(out.status, 303)
  t.equal(out.headers.get('location'), '/login')
  t.match(out.headers.get('set-cookie') ?? '', new RegExp(`${SESSION_COOKIE}=;.*Max-Age=0`))
  t.equal(await h.store.sessions.findActive(hashSessionId(cookieValue(cookie)), h.now()), null, 'deleted from the store')
  t.equal((await h.req('GET', '/api/gpu-stats', { cookie })).status, 401)
  t.equal((await h.req('POST', '/logout', { form: {} })).status, 303, 'logging out without a session just goes to /login')
})

t.test("revoking the session's key ends the session at once", async t => {
  const h = await consoleHarness(t)
  const admin = await h.mint(['admin'])
  const { cookie } = await h.login(admin.key)
  t.equal((await h.req('DELETE', `/api/api-keys/${admin.id}`, { key: h.root })).status, 200)
  t.equal((await h.req('GET', '/api/gpu-stats', { cookie })).status, 401)
  t.equal((await h.req('GET', '/', { cookie })).status, 303)
})

t.test('without a session: pages redirect to /login, fragments answer 401 JSON, unknown assets and fragments 404', async t => {
  const h = await consoleHarness(t)
  for (const p of ['/', '/telemetry', '/tenants', '/jobs', '/billing', '/alerts', '/keys', '/analytics', '/workers']) {
    const res = await h.req('GET', p)
    t.equal(res.status, 303, p)
    t.equal(res.headers.get('location'), '/login')
  }
  const frag = await h.req('GET', '/fragments/fleet')
  t.equal(frag.status, 401)
  t.equal(frag.body.code, 'UNAUTHORIZED')
  t.equal((await h.req('GET', '/fragments/nope')).status, 404)
  t.equal((await h.req('GET', '/fragments/__proto__')).status, 404)
  t.equal((await h.req('GET', '/assets/../../package.json')).status, 404)
  t.equal((await h.req('GET', '/assets/nope.js')).status, 404)
  const login = await h.req('GET', '/login')
  t.equal(login.status, 200)
  t.match(login.text, /<label for="key">Admin API key<\/label>/)
})

t.test('a tenant-bound admin sees the refusal of fleet-wide pages, not a crash', async t => {
  const h = await consoleHarness(t)
  const tenant = await h.req('POST', '/api/tenants', { key: h.root, json: { name: 'acme', gpu_quota: 2 } })
  const bound = await h.mint(['admin'], { tenant_id: tenant.body.id })
  const { cookie } = await h.login(bound.key)
  for (const p of ['/', '/telemetry', '/tenants', '/jobs', '/billing', '/alerts', '/keys', '/analytics', '/workers']) {
    const res = await h.req('GET', p, { cookie })
    t.ok(res.status < 500, `${p}: ${res.status}`)
  }
})
