import t, { type Test } from 'tap'
import { at, billingHarness } from './billing-harness.ts'
import { seedScenario } from './billing-scenario.ts'

async function setup (t: Test) {
  const h = billingHarness()
  t.teardown(h.close)
  const s = await seedScenario(h.fixtures)
  const a1 = (await h.post(`/api/tenants/${s.acme}/invoice?days=2`)).body.invoice
  // The next day: a 1-day invoice today would be inside a1's period, billed already (issue 14: 409).
  h.setNow(at('2026-05-11T08:00:00Z'))
  const a2 = (await h.post(`/api/tenants/${s.acme}/invoice?days=1`)).body.invoice
  const n1 = (await h.post(`/api/tenants/${s.nova}/invoice?days=2`)).body.invoice
  return { h, ...s, a1, a2, n1 }
}

t.test('PATCH /api/invoices/:id/status: pending → overdue → paid; paid is final (409); same status is a no-op', async t => {
  const { h, a1 } = await setup(t)
  h.setNow(at('2026-05-20T09:00:00Z'))
  const overdue = await h.patch(`/api/invoices/${a1.id}/status`, { status: 'overdue' })
  t.equal(overdue.status, 200)
  t.match(overdue.body, { id: a1.id, status: 'overdue', status_changed_at: '2026-05-20T09:00:00.000Z', amount_cents: a1.amount_cents })
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'pending' })).body.status, 'pending', 'overdue → pending (due date extended)')
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' })).body.status, 'paid')
  const same = await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' })
  t.equal(same.status, 200, 'paid → paid: no-op')
  for (const status of ['pending', 'overdue']) {
    const res = await h.patch(`/api/invoices/${a1.id}/status`, { status })
    t.equal(res.status, 409, `paid → ${status}`)
    t.match(res.body, { statusCode: 409, code: 'INVOICE_STATUS_CONFLICT', details: { status: 'paid' } })
  }
  t.equal(h.lines.filter(l => l.msg === 'invoice status changed').length, 3)
  t.equal((await h.store.billing.getInvoice(a1.id))?.status, 'paid')
})

t.test('PATCH status: unknown id 404, bad status 400, tenant keys 403, read/write 403; nothing written', async t => {
  const { h, a1, acme } = await setup(t)
  const before = h.snapshot()
  t.match(await h.patch('/api/invoices/999/status', { status: 'paid' }), { status: 404, body: { code: 'INVOICE_NOT_FOUND' } })
  for (const body of [{ status: 'refunded' }, { status: 'PAID' }, { status: '' }, { status: null }, {}, { status: 'paid', extra: 1 }, [], 'paid']) {
    const res = await h.patch(`/api/invoices/${a1.id}/status`, body)
    t.equal(res.status, 400, `body ${JSON.stringify(body)} → 400`)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_FAILED', error: String, message: String })
  }
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' }, `admin;tenant:${acme}`)).status, 403, 'even for its own invoice')
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' }, 'write')).status, 403)
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' }, 'read')).status, 403)
  t.equal((await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' }, '')).status, 401)
  t.equal(h.snapshot(), before)
})

t.test('GET /api/billing/summary: totals per status, per tenant, last 20 newest first', async t => {
  const { h, acme, nova, a1, a2, n1 } = await setup(t)
  await h.patch(`/api/invoices/${a1.id}/status`, { status: 'paid' })
  await h.patch(`/api/invoices/${n1.id}/status`, { status: 'overdue' })
  const res = await h.get('/api/billing/summary', 'read')
  t.equal(res.status, 200)
  const sum = a1.amount_cents + a2.amount_cents + n1.amount_cents
  t.match(res.body, {
    currency: 'usd',
    total_invoiced: { amount_cents: sum, amount: sum / 100, count: 3 },
    paid: { amount_cents: a1.amount_cents, count: 1 },
    pending: { amount_cents: a2.amount_cents, count: 1 },
    overdue: { amount_cents: n1.amount_cents, count: 1 },
  })
  t.same(res.body.per_tenant.map((p: any) => [p.tenant_id, p.tenant_name, p.total_invoiced.count, p.paid.count, p.pending.count, p.overdue.count]), [
    [acme, 'Acme ML', 2, 1, 1, 0],
    [nova, 'NovAI Labs', 1, 0, 0, 1],
  ])
  t.same(res.body.recent_invoices.map((i: any) => i.id), [n1.id, a2.id, a1.id])

  // More than 20: only the newest 20 are listed, the totals still count all.
  const many = await Promise.all(Array.from({ length: 25 }, (_, i) => h.fixtures.tenant(`t${i}`)))
  for (const id of many) await h.post(`/api/tenants/${id}/invoice`)
  const big = await h.get('/api/billing/summary', 'read')
  t.equal(big.body.recent_invoices.length, 20)
  t.equal(big.body.total_invoiced.count, 28)
})

t.test('summary and GET /api/invoices/:id: a tenant-bound key sees only its own', async t => {
  const { h, acme, nova, a1, a2, n1 } = await setup(t)
  const mine = await h.get('/api/billing/summary', `read;tenant:${nova}`)
  t.equal(mine.body.total_invoiced.count, 1)
  t.same(mine.body.per_tenant.map((p: any) => p.tenant_id), [nova])
  t.same(mine.body.recent_invoices.map((i: any) => i.id), [n1.id])
  t.equal((await h.get(`/api/invoices/${n1.id}`, `read;tenant:${nova}`)).status, 200)
  t.equal((await h.get(`/api/invoices/${a1.id}`, `read;tenant:${nova}`)).status, 404, "another tenant's invoice is 404")
  const acmeView = await h.get('/api/billing/summary', `read;tenant:${acme}`)
  t.same(acmeView.body.recent_invoices.map((i: any) => i.id), [a2.id, a1.id])
  const empty = await h.get('/api/billing/summary', 'read;tenant:999')
  t.match(empty.body, { total_invoiced: { count: 0, amount_cents: 0 }, per_tenant: [], recent_invoices: [] })
  t.match((await h.get(`/api/invoices/${a1.id}`, 'read')).body, { id: a1.id, line_items: Array })
})
