import t from 'tap'
import { NOW } from './alerts-harness.ts'
import { insightApp } from './insight-app.ts'

t.test('GET /api/alerts/rules: the seed shape, plus unit, description, webhook (whole for admins only)', async t => {
  const h = await insightApp(t)
  const res = await h.get('/api/alerts/rules', 'read')
  t.equal(res.status, 200)
  t.same(res.body.map((r: any) => ({ id: r.id, rule_type: r.rule_type, threshold: r.threshold, enabled: r.enabled, active_events: r.active_events })), [
    { id: 1, rule_type: 'idle_gpu', threshold: 60, enabled: true, active_events: 0 },
    { id: 2, rule_type: 'quota_breach', threshold: 90, enabled: true, active_events: 0 },
    { id: 3, rule_type: 'health_degraded', threshold: 85, enabled: true, active_events: 0 },
  ], 'seed 003 example')
  t.same(res.body.map((r: any) => r.threshold_unit), ['minutes', 'percent', 'celsius'])
  t.same(Object.keys(res.body[0]).sort(), ['active_events', 'description', 'enabled', 'id', 'rule_type', 'threshold', 'threshold_unit', 'updated_at', 'webhook_url'])

  await h.patch('/api/alerts/rules/1', { webhook_url: 'https://hooks.slack.com/services/T000/B000/XXXX' }, 'admin')
  t.equal((await h.get('/api/alerts/rules', 'read')).body[0].webhook_url, 'https://hooks.slack.com/…', 'read keys see where, not the secret path')
  t.equal((await h.get('/api/alerts/rules', 'admin')).body[0].webhook_url, 'https://hooks.slack.com/services/T000/B000/XXXX')
})

t.test('PATCH /api/alerts/rules/:id: enable/disable, threshold, webhook; disabling resolves active events', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  h.rows.assign(h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  await h.loop.evaluate()
  t.equal((await h.get('/api/alerts/rules')).body[1].active_events, 1, 'the live count')

  h.clock.set(NOW + 5000)
  const off = await h.patch('/api/alerts/rules/2', { enabled: false }, 'admin')
  t.equal(off.status, 200)
  t.match(off.body, { id: 2, rule_type: 'quota_breach', enabled: false, active_events: 0, threshold: 90, updated_at: new Date(NOW + 5000).toISOString() })
  const events = (await h.get('/api/alerts/events')).body
  t.match(events, [{ rule_type: 'quota_breach', status: 'resolved', resolved_at: new Date(NOW + 5000).toISOString() }])
  t.ok(h.lines.some(l => l.msg === 'alert rule updated' && (l.obj as any).resolved === 1), 'logged with what it resolved')

  const on = await h.patch('/api/alerts/rules/2', { enabled: true, threshold: 75.5 }, 'admin')
  t.match(on.body, { enabled: true, threshold: 75.5 })
  const hook = await h.patch('/api/alerts/rules/3', { webhook_url: 'http://127.0.0.1:8080/alerts' }, 'admin')
  t.match(hook.body, { webhook_url: 'http://127.0.0.1:8080/alerts', enabled: true, threshold: 85 })
  const cleared = await h.patch('/api/alerts/rules/3', { webhook_url: null }, 'admin')
  t.equal(cleared.body.webhook_url, null)
  t.match((await h.patch('/api/alerts/rules/1', { threshold: 240 }, 'admin')).body, { threshold: 240 }, 'range edges are accepted')
  t.match((await h.patch('/api/alerts/rules/3', { threshold: 40 }, 'admin')).body, { threshold: 40 })
})

t.test('GET /api/alerts/events: active first, then newest; default 50; limit 1..100', async t => {
  const h = await insightApp(t)
  // 60 events: subjects 1..60 fire at NOW+i; the even ones resolve.
  for (let i = 1; i <= 60; i++) {
    await h.store.alerts.applyEvaluation({
      ruleId: 1, at: NOW + i, threshold: 60, unknown: [],
      breaches: Array.from({ length: i }, (_, k) => ({ subject: { type: 'gpu' as const, id: k + 1, name: null }, tenantId: null, message: `gpu ${k + 1}` })),
    })
  }
  await h.store.alerts.applyEvaluation({
    ruleId: 1, at: NOW + 100, threshold: 60, unknown: [],
    breaches: Array.from({ length: 30 }, (_, k) => ({ subject: { type: 'gpu' as const, id: 2 * k + 1, name: null }, tenantId: null, message: '' })),
  })
  const all = (await h.get('/api/alerts/events?limit=100')).body
  t.equal(all.length, 60)
  t.same(all.slice(0, 30).map((e: any) => e.subject.id), Array.from({ length: 30 }, (_, k) => 59 - 2 * k), 'active (odd) first, newest first')
  t.same(all.slice(30).map((e: any) => e.subject.id), Array.from({ length: 30 }, (_, k) => 60 - 2 * k), 'then resolved, newest first')
  t.ok(all.slice(0, 30).every((e: any) => e.status === 'active' && e.resolved_at === null))
  t.match(all[30], { status: 'resolved', resolved_at: new Date(NOW + 100).toISOString(), fired_at: new Date(NOW + 60).toISOString(), rule_id: 1, rule_type: 'idle_gpu', tenant_id: null })
  t.equal((await h.get('/api/alerts/events')).body.length, 50, 'default 50')
  t.same((await h.get('/api/alerts/events?limit=1')).body.map((e: any) => e.subject.id), [59])
  t.equal((await h.get('/api/alerts/events?limit=100', 'read')).status, 200, 'read scope is enough')
})

t.test('tenant isolation: rules are operator-only; events are narrowed to the caller\'s tenant', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 2 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  const beta = h.rows.tenant({ name: 'beta', gpuQuota: 1 })
  h.rows.assign(h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  h.rows.assign(h.rows.job({ clusterId: a.clusterId, tenantId: beta, status: 'running', submittedAt: NOW }), a.gpuIds[1]!, NOW)
  await h.fleet.reading(a.gpuIds[1]!, { temperatureC: 99 }, NOW)
  await h.loop.evaluate()
  t.equal((await h.get('/api/alerts/events')).body.length, 3, 'the operator sees both quota events and the hot GPU')

  const mine = await h.get('/api/alerts/events', `read;tenant:${acme}`)
  t.same(mine.body.map((e: any) => [e.rule_type, e.subject.name, e.tenant_id]), [['quota_breach', 'acme', acme]], 'acme sees its own only')
  t.same((await h.get('/api/alerts/events', `read;tenant:${beta}`)).body.map((e: any) => e.subject.name), ['beta'])
  t.same((await h.get('/api/alerts/events', 'read;tenant:999')).body, [])

  for (const [method, path] of [['GET', '/api/alerts/rules'], ['PATCH', '/api/alerts/rules/1']] as const) {
    const before = await h.snapshot()
    const res = await h.request(method, path, { auth: `superadmin;tenant:${acme}`, ...(method === 'PATCH' ? { body: { enabled: false } } : {}) })
    t.equal(res.status, 403, `${method} ${path} with a tenant-bound key`)
    t.match(res.body, { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: /tenant-bound/ })
    t.equal(await h.snapshot(), before, 'nothing written')
  }
})
