import t from 'tap'
import { createBillingRouter } from '../../../control-plane/billing/create-billing-router.ts'
import { cpHarness, isError } from '../cp-harness.ts'

// The router mounted the way the lead mounts it, behind the real auth, keys and app middleware.
t.test('mounted in createControlPlane: real keys, scopes, tenant binding, OpenAPI', async t => {
  const h = await cpHarness(t, {
    routers: [{ path: '/', router: ctx => createBillingRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) }],
  })
  const reader = await h.mint(['read'])
  const tenantAdmin = await h.mint(['admin'], { tenant_id: 5 })

  const rates = await h.req('GET', '/api/rates', { key: reader.key })
  t.equal(rates.status, 200)
  t.match(rates.body, [{ gpu_type: 'A100', price_per_hour: 2.21 }, { gpu_type: 'A6000' }, { gpu_type: 'B200' }, { gpu_type: 'H100', price_per_hour: 4.76 }])
  isError(t, await h.req('GET', '/api/rates'), 401, 'UNAUTHORIZED')
  isError(t, await h.req('PUT', '/api/rates/H100', { key: reader.key, body: { price_per_hour: 1 } }), 403, 'FORBIDDEN')
  isError(t, await h.req('PUT', '/api/rates/H100', { key: tenantAdmin.key, body: { price_per_hour: 1 } }), 403, 'FORBIDDEN')
  t.equal((await h.req('PUT', '/api/rates/H100', { key: h.root, body: { price_per_hour: 4.8 } })).status, 200)
  isError(t, await h.req('GET', '/api/tenants/6/usage', { key: tenantAdmin.key }), 404, 'TENANT_NOT_FOUND')
  isError(t, await h.req('POST', '/api/tenants/6/invoice', { key: tenantAdmin.key }), 404, 'TENANT_NOT_FOUND')
  isError(t, await h.req('POST', '/api/tenants/1/invoice', { key: h.root }), 404, 'TENANT_NOT_FOUND')
  t.match((await h.req('GET', '/api/billing/summary', { key: reader.key })).body, { total_invoiced: { count: 0 }, recent_invoices: [] })
  t.match((await h.req('GET', '/api/dashboard/revenue?days=7', { key: reader.key })).body, { days: 7, total_revenue: 0 })

  const doc = (await h.req('GET', '/openapi.json')).body
  for (const path of ['/api/rates', '/api/rates/{gpu_type}', '/api/tenants/{id}/usage', '/api/tenants/{id}/invoice', '/api/invoices/{id}',
    '/api/invoices/{id}/status', '/api/billing/summary', '/api/dashboard/revenue']) {
    t.ok(doc.paths[path], `${path} documented`)
  }
})

t.test('createBillingRouter checks its dependencies when built', async t => {
  const deps = { store: { billing: {} as never }, requireScope: () => async () => {}, now: Date.now, log: { info () {}, warn () {} } }
  t.doesNotThrow(() => createBillingRouter(deps))
  t.throws(() => createBillingRouter({ ...deps, store: {} as never }), /store/)
  t.throws(() => createBillingRouter({ ...deps, now: 5 as never }), /now/)
  t.throws(() => createBillingRouter({ ...deps, log: {} as never }), /log/)
  t.throws(() => createBillingRouter({ ...deps, payments: {} as never }), /payments/)
  t.throws(() => createBillingRouter({ ...deps, paymentLinkClaimMs: 5 }), /paymentLinkClaimMs/)
})
