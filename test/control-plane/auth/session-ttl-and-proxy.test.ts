import t, { type Test } from 'tap'
import { cpHarness } from '../cp-harness.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { ControlPlaneError } from '../../../control-plane/errors.ts'
import { parseDuration } from '../../../shared/parse-duration.ts'
import type { ControlPlaneConfigInput } from '../../../control-plane/config.ts'

t.test('parseDuration: unit-suffixed parts only', async t => {
  t.equal(parseDuration('8h'), 8 * 3_600_000)
  t.equal(parseDuration('1h30m'), 5_400_000)
  t.equal(parseDuration(' 1d '), 86_400_000)
  t.equal(parseDuration('90s'), 90_000)
  t.equal(parseDuration('250ms'), 250)
  for (const bad of ['', '8', 'h', '8x', '-1h', '1.5h', '8 h', 'soon', '1h-', `${'9'.repeat(30)}d`]) t.equal(parseDuration(bad), null, JSON.stringify(bad))
})

t.test('config: --session-ttl defaults to 8h and is validated with the flag named; --trust-proxy defaults off', async t => {
  const d = parseControlPlaneConfig({})
  t.equal(d.sessionTtlMs, 8 * 3_600_000)
  t.equal(d.trustProxy, false)
  t.equal(parseControlPlaneConfig({ sessionTtl: '30m', trustProxy: 'true' }).sessionTtlMs, 1_800_000)
  t.equal(parseControlPlaneConfig({ trustProxy: 'true' }).trustProxy, true)
  t.equal(parseControlPlaneConfig({ trustProxy: '0' }).trustProxy, false)
  for (const bad of ['8', 'forever', '30s', '31d', '']) {
    const err = (() => { try { parseControlPlaneConfig({ sessionTtl: bad }) } catch (e) { return e } })()
    t.ok(err instanceof ControlPlaneError, `${JSON.stringify(bad)} refused`)
    t.match((err as Error).message, /--session-ttl \(GPUFLEET_SESSION_TTL\): expected a duration from 1m to 30d/)
  }
  t.throws(() => parseControlPlaneConfig({ trustProxy: 'maybe' } as unknown as ControlPlaneConfigInput), /--trust-proxy \(GPUFLEET_TRUST_PROXY\)/)
})

async function harness (t: Test, config: ControlPlaneConfigInput) {
  const h = await cpHarness(t, { config, routers: productParts().routers })
  const keepAlive = setInterval(() => {}, 60_000)
  t.teardown(() => clearInterval(keepAlive))
  const login = (key: string, headers: Record<string, string> = {}, address?: string) =>
    h.req('POST', '/login', { body: new URLSearchParams({ key }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, ...(address === undefined ? {} : { address }) })
  return { h, login }
}

t.test('the session cookie lives --session-ttl', async t => {
  const { h, login } = await harness(t, { sessionTtl: '30m' })
  const res = await login(h.root)
  t.equal(res.status, 303)
  t.match(res.headers.get('set-cookie'), /Max-Age=1800/)
})

const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.0.0.1, 203.0.113.7', origin: 'https://localhost' }

t.test('--trust-proxy off: X-Forwarded-* are ignored (no Secure from a header, limiter keyed by the socket)', async t => {
  const { h, login } = await harness(t, { authFailuresPerMinute: 2 })
  const ok = await login(h.root, { 'x-forwarded-proto': 'https' })
  t.equal(ok.status, 303)
  t.notMatch(ok.headers.get('set-cookie'), /Secure/, 'a header alone does not make the connection TLS')
  t.equal((await login(h.root, PROXIED)).status, 403, 'an https Origin over plain http is foreign')
  for (const xff of ['198.51.100.1', '198.51.100.2']) await h.req('GET', '/api/jobs', { key: 'gfk_wrong', headers: { 'x-forwarded-for': xff } })
  t.equal((await h.req('GET', '/api/jobs', { key: 'gfk_wrong', headers: { 'x-forwarded-for': '198.51.100.3' } })).status, 429,
    'one socket, one bucket, whatever the client claims')
})

t.test('--trust-proxy on: Secure from X-Forwarded-Proto https; the https Origin is our own; limiter keyed by the right-most X-Forwarded-For', async t => {
  const { h, login } = await harness(t, { authFailuresPerMinute: 2, trustProxy: true })
  const res = await login(h.root, PROXIED)
  t.equal(res.status, 303, 'the browser\'s https Origin matches')
  t.match(res.headers.get('set-cookie'), /; Secure/)
  t.notMatch((await login(h.root, { 'x-forwarded-proto': 'http' })).headers.get('set-cookie'), /Secure/, 'plain http behind the proxy: no Secure')
  for (let i = 0; i < 2; i++) await h.req('GET', '/api/jobs', { key: 'gfk_wrong', headers: { 'x-forwarded-for': '10.9.9.' + String(i) + ', 198.51.100.1' } })
  t.equal((await h.req('GET', '/api/jobs', { key: 'gfk_wrong', headers: { 'x-forwarded-for': '198.51.100.1' } })).status, 429, 'that client is limited')
  t.equal((await h.req('GET', '/api/jobs', { key: h.root, headers: { 'x-forwarded-for': '198.51.100.9' } })).status, 200,
    'another client behind the same proxy is not')
  t.equal((await h.req('GET', '/api/jobs', { key: h.root })).status, 200, 'no header: the socket address')
})
