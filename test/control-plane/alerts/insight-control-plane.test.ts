import t from 'tap'
import { createAlertsRouter } from '../../../control-plane/alerts/create-alerts-router.ts'
import { createAlertsLoop } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { createDashboardRouter } from '../../../control-plane/dashboards/create-dashboard-router.ts'
import type { RouterMount } from '../../../control-plane/http/router-mount.ts'
import { cpHarness, isError } from '../cp-harness.ts'

// Exactly how the lead mounts them (productParts).
const routers: RouterMount[] = [
  { path: '/', router: ctx => createAlertsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) },
  { path: '/', router: ctx => createDashboardRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) },
]

t.test('mounted in the real control plane: real keys, tenant-bound keys, body limit, content type, OpenAPI', async t => {
  const h = await cpHarness(t, { routers })
  const read = await h.mint(['read'])
  const admin = await h.mint(['read', 'write', 'admin'])
  const tenant = await h.mint(['read', 'write', 'admin'], { tenant_id: 1 })

  const rules = await h.req('GET', '/api/alerts/rules', { key: read.key })
  t.equal(rules.status, 200)
  t.same(rules.body.map((r: any) => r.rule_type), ['idle_gpu', 'quota_breach', 'health_degraded'])
  isError(t, await h.req('GET', '/api/alerts/rules', { key: tenant.key }), 403, 'FORBIDDEN', 'a tenant-bound admin key cannot read rules')
  isError(t, await h.req('PATCH', '/api/alerts/rules/1', { key: tenant.key, body: { enabled: false } }), 403, 'FORBIDDEN')
  isError(t, await h.req('PATCH', '/api/alerts/rules/1', { key: read.key, body: { enabled: false } }), 403, 'FORBIDDEN')
  isError(t, await h.req('GET', '/api/dashboard/kpis', { key: tenant.key }), 403, 'FORBIDDEN')
  isError(t, await h.req('GET', '/api/dashboard', { key: tenant.key }), 403, 'FORBIDDEN')
  t.equal((await h.req('GET', '/api/dashboard/leakage', { key: tenant.key })).status, 200)
  t.equal((await h.req('GET', '/api/alerts/events', { key: tenant.key })).status, 200)
  isError(t, await h.req('GET', '/api/dashboard/kpis'), 401, 'UNAUTHORIZED')

  isError(t, await h.req('PATCH', '/api/alerts/rules/1', { key: admin.key, body: { webhook_url: `https://x.example/${'a'.repeat(1024 * 1024)}` } }), 413, 'PAYLOAD_TOO_LARGE')
  isError(t, await h.req('PATCH', '/api/alerts/rules/1', { key: admin.key, body: '{"enabled":false}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE')
  isError(t, await h.req('PATCH', '/api/alerts/rules/1', { key: admin.key, body: '{"enabled":' }), 400, 'BAD_REQUEST')
  t.match((await h.req('GET', '/api/alerts/rules', { key: admin.key })).body[0], { enabled: true, threshold: 60, webhook_url: null }, 'nothing written')

  const ok = await h.req('PATCH', '/api/alerts/rules/1', { key: admin.key, body: { threshold: 45, webhook_url: 'https://hooks.example/x/secret' } })
  t.equal(ok.status, 200)
  t.match(ok.body, { id: 1, threshold: 45, webhook_url: 'https://hooks.example/x/secret' })
  t.notOk(h.logs().includes('secret'), 'the webhook secret is not logged')

  const kpis = await h.req('GET', '/api/dashboard/kpis', { key: read.key })
  t.same(Object.keys(kpis.body), ['fleet_utilization', 'revenue_leakage', 'quota_utilization', 'fleet_health', 'active_jobs'])

  const doc = (await h.req('GET', '/openapi.json')).body
  for (const path of ['/api/alerts/rules', '/api/alerts/rules/{id}', '/api/alerts/events', '/api/dashboard', '/api/dashboard/kpis', '/api/dashboard/leakage']) {
    t.ok(doc.paths[path], `${path} documented`)
  }
})

t.test('the loop as the lead starts it: a Loop of the LoopContext', async t => {
  const h = await cpHarness(t, { routers })
  const loop = createAlertsLoop({ store: h.store, now: h.now, log: { info () {}, warn () {} } })
  loop.start()
  t.same(await loop.evaluate(), { fired: [], resolved: [] })
  await loop.stop()
})
