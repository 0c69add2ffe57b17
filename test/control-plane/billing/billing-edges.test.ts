import t, { type Test } from 'tap'
import { at, billingHarness } from './billing-harness.ts'
import { seedScenario } from './billing-scenario.ts'

/** Issue 14 "Billing edges": overlapping invoices, a deleted tenant's usage, usage and invoice to the cent. */

const H100 = 'NVIDIA H100 80GB HBM3'
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)

function setup (t: Test) {
  const h = billingHarness()
  t.teardown(h.close)
  return h
}

t.test('overlapping invoices never bill a GPU-second twice; a period billed already is 409', async t => {
  const h = setup(t)
  const acme = await h.fixtures.tenant('Acme')
  const [g1, g2, g3] = await h.fixtures.gpus([H100, H100, H100])
  const job = await h.fixtures.job({ tenantId: acme })
  await h.fixtures.assign(job, g1!, at('2026-05-08T10:00:00Z'), at('2026-05-08T11:00:00Z'))
  await h.fixtures.assign(job, g2!, at('2026-05-09T10:00:00Z'), at('2026-05-09T12:00:00Z'))
  await h.fixtures.assign(job, g3!, at('2026-05-10T01:00:00Z'), at('2026-05-10T01:30:00Z'))

  const day = await h.post(`/api/tenants/${acme}/invoice?days=1`)
  t.match(day, { status: 201, body: { invoice: { period_start: '2026-05-09T00:00:00.000Z', amount_cents: 952 }, overlapping_invoice_ids: [] } })

  const two = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(two.status, 201)
  t.match(two.body, {
    invoice: { period_start: '2026-05-08T00:00:00.000Z', period_end: '2026-05-10T00:00:00.000Z', days: 2, amount_cents: 476, total_gpu_seconds: 3600 },
    overlapping_invoice_ids: [day.body.invoice.id],
  }, 'bills 05-08 only: 05-09 is on the first invoice')
  t.same(two.body.line_items.map((l: any) => [l.gpu_type, l.gpu_seconds, l.amount_cents]), [['H100', 3600, 476]])

  t.match(await h.post(`/api/tenants/${acme}/invoice?days=1`), { status: 200, body: { created: false, invoice: { id: day.body.invoice.id } } },
    'the same period is still the same invoice')

  h.setNow(at('2026-05-11T09:00:00Z'))
  const next = await h.post(`/api/tenants/${acme}/invoice?days=1`)
  t.match(next, { status: 201, body: { invoice: { period_start: '2026-05-10T00:00:00.000Z', amount_cents: 238 } } })
  const all = await h.post(`/api/tenants/${acme}/invoice?days=3`)
  t.match(all, { status: 409, body: { code: 'INVOICE_PERIOD_BILLED', details: { invoice_ids: [day.body.invoice.id, two.body.invoice.id, next.body.invoice.id] } } },
    'every day of 05-08..05-10 is billed already')
  t.equal((await h.store.billing.listInvoices()).length, 3, 'no empty invoice made')

  const usage = (await h.get(`/api/tenants/${acme}/usage?days=4`, 'read')).body
  const invoiced = sum([day, two, next].map(r => r.body.invoice.amount_cents))
  t.equal(invoiced, usage.total_amount_cents, 'the invoices together bill the usage exactly once')
  t.equal(sum([day, two, next].map(r => r.body.invoice.total_gpu_seconds)), usage.total_gpu_seconds)
})

t.test('a deleted tenant: its running job is unlinked, and its GPU time up to the delete can still be invoiced', async t => {
  const h = setup(t)
  const acme = await h.fixtures.tenant('Acme')
  const [g] = await h.fixtures.gpus([H100])
  const job = await h.fixtures.job({ tenantId: acme })
  await h.fixtures.assign(job, g!, at('2026-05-08T12:00:00Z'), null)

  const deletedAt = at('2026-05-09T06:00:00Z')
  t.same(await h.store.tenants.delete(acme, deletedAt), { ok: true, unlinkedJobs: 1, cancelledJobs: 0 }, 'seed 003: running jobs are unlinked too')
  t.match(await h.store.jobs.get(job), { tenantId: null, status: 'running' })

  const usage = await h.get(`/api/tenants/${acme}/usage?days=3`, 'read')
  t.match(usage, { status: 200, body: { tenant_id: acme, tenant_name: 'Acme', total_gpu_seconds: 18 * 3600, total_amount_cents: 18 * 476 } })
  t.same(usage.body.by_day.map((d: any) => [d.date, d.gpu_seconds, d.amount_cents]),
    [['2026-05-08', 12 * 3600, 12 * 476], ['2026-05-09', 6 * 3600, 6 * 476], ['2026-05-10', 0, 0]], 'nothing after the delete')

  const inv = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.match(inv, { status: 201, body: { invoice: { tenant_id: null, tenant_name: 'Acme', amount_cents: 18 * 476, total_gpu_seconds: 18 * 3600 } } })
  t.match(await h.post(`/api/tenants/${acme}/invoice?days=2`), { status: 200, body: { created: false, invoice: { id: inv.body.invoice.id } } })
  t.match(await h.post(`/api/tenants/${acme}/invoice?days=1`), { status: 409, body: { code: 'INVOICE_PERIOD_BILLED' } }, 'not billed twice after the delete either')
  t.match(await h.get(`/api/invoices/${inv.body.invoice.id}`, 'read'), { status: 200, body: { tenant_name: 'Acme' } })

  const revenue = (await h.get('/api/dashboard/revenue?days=3', 'read')).body
  const after = at('2026-05-10T15:20:00Z') - deletedAt
  t.same(revenue.per_tenant.map((p: any) => [p.tenant_id, p.tenant_name, p.revenue_cents]), [[acme, 'Acme', 18 * 476]], 'named after its delete')
  t.match(revenue.unattributed, { gpu_hours: Math.round(after / 3600) / 1000 }, 'the job runs on for no tenant: unattributed from the delete')
  t.equal(await h.store.billing.getTenant(acme + 1), null, 'an id never used is still unknown')
  t.match(await h.post(`/api/tenants/${acme + 1}/invoice`), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
})

t.test('usage per day and an invoice for the same day agree to the cent', async t => {
  const h = setup(t)
  const acme = await h.fixtures.tenant('Acme')
  const [g1, g2] = await h.fixtures.gpus([H100, H100])
  const job = await h.fixtures.job({ tenantId: acme })
  // 3 025 ms of H100 is 0.39998 ¢ each day: two such days make 0.8 ¢ → 1 ¢ if rounded together.
  await h.fixtures.assign(job, g1!, at('2026-05-09T10:00:00Z'), at('2026-05-09T10:00:03.025Z'))
  await h.fixtures.assign(job, g2!, at('2026-05-10T10:00:00Z'), at('2026-05-10T10:00:03.025Z'))

  const usage = (await h.get(`/api/tenants/${acme}/usage?days=2`, 'read')).body
  const inv = (await h.post(`/api/tenants/${acme}/invoice?days=1`)).body
  t.equal(usage.by_day[0].date, '2026-05-09')
  t.equal(usage.by_day[0].amount_cents, inv.invoice.amount_cents, 'usage for 05-09 is what the invoice for 05-09 bills')
  t.equal(inv.invoice.amount_cents, 0)
  t.equal(usage.total_amount_cents, sum(usage.by_day.map((d: any) => d.amount_cents)))
})

t.test('the scenario: an invoice equals the usage by_day of its days, per GPU type', async t => {
  const h = setup(t)
  const { acme } = await seedScenario(h.fixtures)
  const usage = (await h.get(`/api/tenants/${acme}/usage?days=3`, 'read')).body
  const inv = (await h.post(`/api/tenants/${acme}/invoice?days=2`)).body
  const days = usage.by_day.filter((d: any) => d.date < '2026-05-10')
  t.equal(inv.invoice.amount_cents, sum(days.map((d: any) => d.amount_cents)))
  for (const line of inv.line_items) {
    const cents = days.map((d: any) => d.by_gpu_type.find((x: any) => x.gpu_type === line.gpu_type)?.amount_cents ?? 0)
    t.equal(line.amount_cents ?? 0, sum(cents), `${line.gpu_type}`)
  }
})

t.test('invoices that keep changing under a new one: 409 INVOICES_CHANGED after three tries, never a 500', async t => {
  const { issueInvoice } = await import('../../../control-plane/billing/issue-invoice.ts')
  const { InvoiceOverlapChanged } = await import('../../../control-plane/store/billing-repository.ts')
  const { openBillingStore } = await import('./billing-fixtures.ts')
  const { store } = openBillingStore()
  t.teardown(() => store.close())
  const tenantId = (await store.tenants.create({ name: 'Busy', gpuQuota: 4 } as any, at('2026-05-10T00:00:00Z')))!.id
  let tries = 0
  const billing = new Proxy(store.billing, {
    get (target, key) {
      if (key === 'createInvoice') return async () => { tries++; throw new InvoiceOverlapChanged(tenantId) }
      return Reflect.get(target, key)
    },
  })
  const log = { info () {}, warn () {} }
  await t.rejects(issueInvoice({ billing, now: () => at('2026-05-10T09:00:00Z'), log, paymentLinkClaimMs: 60_000 }, { id: tenantId, name: 'Busy' } as any, 1),
    { code: 'INVOICES_CHANGED', status: 409 })
  t.equal(tries, 3)
})
