import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LookupAddress } from 'node:dns'
import { createGuardedLookup, type ResolveAll } from '../../../control-plane/alerts/create-guarded-lookup.ts'
import { createPostWebhook } from '../../../control-plane/alerts/post-webhook.ts'
import { NOW, alertsSetup, startReceiver } from './alerts-harness.ts'
import { insightApp } from './insight-app.ts'

// Issue 12: alert webhooks to loopback, private, link-local or metadata addresses are refused
// (server-side request forgery) unless --alert-webhook-allow-private: when the URL is set
// (PATCH) and again when it is sent, after DNS resolution.

const FORBIDDEN = [
  'http://127.0.0.1:8080/hook', 'http://127.1.2.3/h', 'http://localhost:9000/h', 'http://api.localhost/h', 'http://[::1]:8080/h',
  'http://10.1.2.3/h', 'http://172.16.0.1/h', 'http://172.31.255.254/h', 'http://192.168.1.10/h', 'http://100.64.0.1/h',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'http://[fd00:ec2::254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.GOOGLE.INTERNAL./x', 'http://metadata.goog/x',
  'http://100.100.100.200/latest/meta-data/', 'http://[fe80::1]/h', 'http://[fc00::1]/h', 'http://0.0.0.0:8080/h', 'http://[::]/h',
  // Other spellings of 127.0.0.1 and 169.254.169.254 (URL parsing normalizes them; so does the check).
  'http://2130706433/h', 'http://0x7f.1/h', 'http://[::ffff:127.0.0.1]/h', 'http://[::ffff:a9fe:a9fe]/h', 'http://[64:ff9b::a9fe:a9fe]/h',
  'http://224.0.0.1/h', 'http://255.255.255.255/h',
]
const ALLOWED = ['https://hooks.slack.com/services/T000/B000/XXXX', 'http://8.8.8.8/h', 'https://[2606:4700:4700::1111]/h', 'http://172.32.0.1/h', 'https://events.pagerduty.com/v2/enqueue']

t.test('PATCH webhook_url: private, loopback, link-local and metadata targets → 400 WEBHOOK_ADDRESS_FORBIDDEN, nothing written', async t => {
  const h = await insightApp(t, { allowPrivateWebhooks: false })
  const before = await h.snapshot()
  for (const url of FORBIDDEN) {
    const res = await h.patch('/api/alerts/rules/2', { webhook_url: url, enabled: false }, 'admin')
    t.equal(res.status, 400, url)
    t.match(res.body, { statusCode: 400, code: 'WEBHOOK_ADDRESS_FORBIDDEN', message: /--alert-webhook-allow-private/, details: { issues: [{ path: 'webhook_url' }] } }, url)
  }
  t.equal(await h.snapshot(), before, 'nothing written (not even enabled: false from the same body)')
  for (const url of ALLOWED) {
    const res = await h.patch('/api/alerts/rules/2', { webhook_url: url }, 'admin')
    t.equal(res.status, 200, `${url} is public`)
  }
})

t.test('with --alert-webhook-allow-private such targets are accepted', async t => {
  const h = await insightApp(t, { allowPrivateWebhooks: true })
  for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/x', 'http://metadata.google.internal/x']) {
    t.equal((await h.patch('/api/alerts/rules/2', { webhook_url: url }, 'admin')).status, 200, url)
  }
})

t.test('at delivery: a stored loopback URL is refused without a request, final, not retried', async t => {
  const receiver = await startReceiver(t)
  const h = await alertsSetup(t, { webhook: { allowPrivateAddresses: false, baseDelayMs: 1000 } })
  const a = await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  h.rows.assign(h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  // Written straight to the store: a URL saved before the guard existed, or by another path.
  await h.store.alerts.updateRule(2, { webhookUrl: receiver.url }, NOW)
  h.loop.start()
  t.equal((await h.loop.evaluate()).fired.length, 1)
  await h.loop.webhooks!.settled()
  await h.clock.advance(600_000)
  await h.loop.webhooks!.settled()
  t.equal(receiver.received.length, 0, 'the receiver heard nothing')
  t.match(await h.store.alerts.listDeliveries(), [{ status: 'failed', attempts: 1, lastError: /^WEBHOOK_ADDRESS_FORBIDDEN: 127\.0\.0\.1 is a loopback address/ }])
  t.ok(h.lines.some(l => l.msg === 'alert webhook failed; giving up'))
})

t.test('at delivery: a name is judged by what it resolves to, in the connect itself', async t => {
  const receiver = await startReceiver(t)
  const port = new URL(receiver.url).port
  // hooks.example.test "resolves" to the receiver's loopback address, as a hostile DNS answer would.
  const resolve: ResolveAll = (_host, _o, cb) => { cb(null, [{ address: '127.0.0.1', family: 4 }]) }
  const url = `http://hooks.example.test:${port}/hook/s3cr3t`
  const guarded = await createPostWebhook({ timeoutMs: 30_000, resolve })(url, '{"event":"fired"}', {})
  t.match(guarded, { ok: false, status: null, final: true, error: /^WEBHOOK_ADDRESS_FORBIDDEN: hooks\.example\.test resolves to 127\.0\.0\.1, a loopback address/ })
  t.equal(receiver.received.length, 0, 'refused before a byte was sent')
  const allowed = await createPostWebhook({ timeoutMs: 30_000, resolve, allowPrivate: true })(url, '{"event":"fired"}', {})
  t.match(allowed, { ok: true, status: 200 }, 'the same name with the allow flag reaches the receiver (so the guard, not DNS, refused it)')

  // Real DNS: localhost comes from /etc/hosts.
  const local = await createPostWebhook({ timeoutMs: 30_000 })(`http://localhost:${port}/hook/s3cr3t`, '{"event":"fired"}', {})
  t.match(local, { ok: false, final: true, error: /^WEBHOOK_ADDRESS_FORBIDDEN: localhost resolves to (127\.0\.0\.1|::1)/ })
  t.equal(receiver.received.length, 1, 'only the allowed POST arrived')
})

t.test('the guarded lookup refuses a name if ANY of its addresses is private; passes public ones through in both forms', async t => {
  const answers: Record<string, LookupAddress[]> = {
    mixed: [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.8', family: 4 }],
    v6meta: [{ address: 'fd00:ec2::254', family: 6 }],
    public: [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
  }
  const lookup = createGuardedLookup((host, _o, cb) => { cb(null, answers[host] ?? []) })
  const call = (host: string, all: boolean) => new Promise<unknown[]>(resolve => { (lookup as any)(host, { all }, (...args: unknown[]) => resolve(args)) })
  t.match((await call('mixed', true))[0], { code: 'WEBHOOK_ADDRESS_FORBIDDEN', message: /10\.0\.0\.8, a private \(RFC 1918\) address/ })
  t.match((await call('v6meta', false))[0], { code: 'WEBHOOK_ADDRESS_FORBIDDEN', message: /unique local/ })
  t.same(await call('public', true), [null, answers.public])
  t.same(await call('public', false), [null, '93.184.216.34', 4])
})

t.test('redirects are never followed (a 3xx is a failed delivery; its Location is not fetched)', async t => {
  const target = await startReceiver(t)
  const redirector = createServer((_req, res) => { res.writeHead(307, { location: target.url }).end() })
  await new Promise<void>(resolve => redirector.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { redirector.closeAllConnections(); redirector.close(() => resolve()) }))
  const from = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/moved`
  t.match(await createPostWebhook({ timeoutMs: 30_000, allowPrivate: true })(from, '{}', {}), { ok: false, status: 307 })
  t.equal(target.received.length, 0, 'the redirect target heard nothing')
})
