import t, { type Test } from 'tap'
import { NOW } from './alerts-harness.ts'
import { insightApp } from './insight-app.ts'

const MB = 'x'.repeat(1024 * 1024)

async function setup (t: Test) {
  const h = await insightApp(t)
  // Something to lose: an open event and a webhook, so a stray write would show.
  await h.store.alerts.updateRule(2, { webhookUrl: 'http://127.0.0.1:9/h' }, NOW)
  const a = await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  h.rows.assign(h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  await h.loop.evaluate()
  return h
}

type Case = [label: string, body: unknown, status: number, code: string]

const RAW = Symbol('raw')
const raw = (s: string) => ({ [RAW]: true, raw: s })
const isRaw = (b: unknown): b is { raw: string } => typeof b === 'object' && b !== null && RAW in b

t.test('PATCH /api/alerts/rules/:id rejects bad bodies with 4xx in the one shape and writes nothing', async t => {
  const h = await setup(t)
  const before = await h.snapshot()
  const cases: Case[] = [
    ['invalid JSON', raw('{"enabled": '), 400, 'BAD_REQUEST'],
    ['empty body', raw(''), 400, 'BAD_REQUEST'],
    ['JSON array', [], 400, 'VALIDATION_FAILED'],
    ['JSON string', raw('"hello"'), 400, 'VALIDATION_FAILED'],
    ['null', raw('null'), 400, 'VALIDATION_FAILED'],
    ['no field', {}, 400, 'VALIDATION_FAILED'],
    ['unknown field', { enabled: false, severity: 'high' }, 400, 'VALIDATION_FAILED'],
    ['enabled a string', { enabled: 'false' }, 400, 'VALIDATION_FAILED'],
    ['enabled a number', { enabled: 0 }, 400, 'VALIDATION_FAILED'],
    ['threshold a string', { threshold: '60' }, 400, 'VALIDATION_FAILED'],
    ['threshold null', { threshold: null }, 400, 'VALIDATION_FAILED'],
    ['threshold 0 (quota)', { threshold: 0 }, 400, 'VALIDATION_FAILED'],
    ['threshold 100.5 (quota)', { threshold: 100.5 }, 400, 'VALIDATION_FAILED'],
    ['threshold -5', { threshold: -5 }, 400, 'VALIDATION_FAILED'],
    ['threshold 1e308', raw('{"threshold": 1e308}'), 400, 'VALIDATION_FAILED'],
    ['threshold 1e999 (Infinity)', raw('{"threshold": 1e999}'), 400, 'VALIDATION_FAILED'],
    ['valid enabled with a bad threshold', { enabled: false, threshold: 500 }, 400, 'VALIDATION_FAILED'],
    ['webhook not a URL', { webhook_url: 'not a url' }, 400, 'VALIDATION_FAILED'],
    ['webhook empty', { webhook_url: '' }, 400, 'VALIDATION_FAILED'],
    ['webhook ftp', { webhook_url: 'ftp://example.com/x' }, 400, 'VALIDATION_FAILED'],
    ['webhook javascript:', { webhook_url: 'javascript:alert(1)' }, 400, 'VALIDATION_FAILED'],
    ['webhook file:', { webhook_url: 'file:///etc/passwd' }, 400, 'VALIDATION_FAILED'],
    ['webhook relative', { webhook_url: '/hooks/a' }, 400, 'VALIDATION_FAILED'],
    ['webhook with credentials', { webhook_url: 'https://user:pw@example.com/h' }, 400, 'VALIDATION_FAILED'],
    ['webhook a number', { webhook_url: 42 }, 400, 'VALIDATION_FAILED'],
    ['webhook 1 MB', { webhook_url: `https://example.com/${MB}` }, 400, 'VALIDATION_FAILED'],
    ['1 MB unknown field', { enabled: true, note: MB }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [label, body, status, code] of cases) {
    const res = await h.request('PATCH', '/api/alerts/rules/2', isRaw(body) ? { raw: body.raw, auth: 'admin' } : { body, auth: 'admin' })
    t.equal(res.status, status, `${label} → ${status}`)
    t.match(res.body, { statusCode: status, code, error: String, message: String }, `${label}: the one error shape`)
  }
  t.equal(await h.snapshot(), before, 'nothing written')
  t.notOk(h.lines.some(l => l.level === 'error'), 'no unhandled errors')
})

t.test('PATCH threshold ranges are per rule type', async t => {
  const h = await setup(t)
  const before = await h.snapshot()
  for (const [id, threshold, why] of [
    [1, 0, 'idle_gpu below 1 min'], [1, 241, 'idle_gpu above 4 h'], [1, 30.5, 'idle_gpu whole minutes'],
    [2, 101, 'quota_breach above 100 %'], [3, 39.9, 'health_degraded below 40 °C'], [3, 121, 'health_degraded above 120 °C'],
  ] as const) {
    const res = await h.patch(`/api/alerts/rules/${id}`, { threshold }, 'admin')
    t.equal(res.status, 400, why)
    t.match(res.body, { code: 'VALIDATION_FAILED', message: /^threshold: threshold of \w+ must be/, details: { issues: [{ path: 'threshold' }] } })
  }
  t.equal(await h.snapshot(), before)
})

t.test('PATCH ids: non-numeric 400, unknown 404; scopes', async t => {
  const h = await setup(t)
  const before = await h.snapshot()
  for (const [id, status, code] of [
    ['abc', 400, 'VALIDATION_FAILED'], ['-1', 400, 'VALIDATION_FAILED'], ['1e3', 400, 'VALIDATION_FAILED'], ['0x1', 400, 'VALIDATION_FAILED'],
    ['1.5', 400, 'VALIDATION_FAILED'], ['9'.repeat(16), 400, 'VALIDATION_FAILED'], [encodeURIComponent("1' OR '1'='1"), 400, 'VALIDATION_FAILED'],
    ['0', 404, 'ALERT_RULE_NOT_FOUND'], ['5', 404, 'ALERT_RULE_NOT_FOUND'], ['999999999999999', 404, 'ALERT_RULE_NOT_FOUND'],
  ] as const) {
    const res = await h.patch(`/api/alerts/rules/${id}`, { enabled: false }, 'admin')
    t.equal(res.status, status, `id ${id} → ${status}`)
    t.match(res.body, { statusCode: status, code })
  }
  t.equal((await h.patch('/api/alerts/rules/1', { enabled: false }, '')).status, 401, 'no key')
  t.equal((await h.patch('/api/alerts/rules/1', { enabled: false }, 'read,write')).status, 403, 'write is not admin')
  const typed = await h.request('PATCH', '/api/alerts/rules/1', { raw: '{"enabled":false}', type: 'text/plain', auth: 'admin' })
  t.equal(typed.status, 415, 'not JSON by content type')
  t.equal((await h.request('DELETE', '/api/alerts/rules/1', { auth: 'admin' })).status, 404, 'no such method')
  t.equal((await h.request('POST', '/api/alerts/rules', { body: { rule_type: 'x' }, auth: 'admin' })).status, 404, 'rules are built in: none created')
  t.equal(await h.snapshot(), before, 'nothing written')
})

t.test('GET /api/alerts/events?limit= outside 1..100 or not an integer → 400', async t => {
  const h = await setup(t)
  for (const limit of ['0', '101', '-1', 'abc', '1.5', '', '1e2', '0x10', '9'.repeat(12), MB.slice(0, 4096), ' 5']) {
    const res = await h.get(`/api/alerts/events?limit=${encodeURIComponent(limit)}`)
    t.equal(res.status, 400, `limit=${limit.slice(0, 20)} → 400`)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_FAILED', message: /^limit: / })
  }
  t.equal((await h.get('/api/alerts/events?limit=100')).status, 200)
  t.equal((await h.get('/api/alerts/events', '')).status, 401)
  t.equal((await h.get('/api/alerts/rules', '')).status, 401)
  t.equal((await h.get('/api/alerts/rules', 'ingest')).status, 403, 'an agent key reads no alerts')
})
