import type { Test } from 'tap'
import type { NewInvoice } from '../../../control-plane/store/billing-repository.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import type { UsageFixtures } from '../billing/billing-fixtures.ts'

export type OpenBillingStore = () => Promise<{ store: Store, fixtures: UsageFixtures }>

const ms = Date.parse

/**
 * The billing repository contract, run against every engine: SQLite now, PostgreSQL when it
 * joins (its test file calls this with its own factory and fixtures). Each subtest gets a fresh store.
 */
export function billingStoreSuite (t: Test, open: OpenBillingStore): void {
  const fresh = async (t: Test) => {
    const opened = await open()
    t.teardown(() => opened.store.close())
    return opened
  }

  const invoiceInput = (tenantId: number, o: Partial<NewInvoice> = {}): NewInvoice => ({
    tenantId,
    tenantName: 'Acme',
    periodStart: ms('2026-04-10T00:00:00Z'),
    periodEnd: ms('2026-05-10T00:00:00Z'),
    days: 30,
    totalGpuMs: 3_600_999,
    unpricedGpuMs: 1000,
    amountCents: 476,
    currency: 'usd',
    lineItems: [
      { gpuType: 'H100', gpuMs: 3_599_999, centsPerGpuHour: 476, amountCents: 476 },
      { gpuType: 'NVIDIA L40S', gpuMs: 1000, centsPerGpuHour: null, amountCents: null },
    ],
    createdAt: ms('2026-05-10T15:20:00Z'),
    ...o,
  })

  t.test('rates: the seeded card, then insert or replace', async t => {
    const { store } = await fresh(t)
    t.same((await store.billing.listRates()).map(r => [r.gpuType, r.centsPerGpuHour, r.updatedAt]),
      [['A100', 221, 0], ['A6000', 128, 0], ['B200', 599, 0], ['H100', 476, 0]])
    t.same(await store.billing.putRate('H100', 499, 1000), { rate: { gpuType: 'H100', centsPerGpuHour: 499, updatedAt: 1000 }, created: false })
    t.same(await store.billing.putRate('L40S', 150, 2000), { rate: { gpuType: 'L40S', centsPerGpuHour: 150, updatedAt: 2000 }, created: true })
    t.same((await store.billing.listRates()).map(r => r.gpuType), ['A100', 'A6000', 'B200', 'H100', 'L40S'])
  })

  t.test('tenants are read for names', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant("O'Brien; DROP TABLE tenants")
    t.same(await store.billing.getTenant(a), { id: a, name: "O'Brien; DROP TABLE tenants" })
    t.equal(await store.billing.getTenant(a + 1), null)
    t.same(await store.billing.listTenants(), [{ id: a, name: "O'Brien; DROP TABLE tenants" }])
  })

  t.test('meterIntervals: clipped to the window, open rows end at min(now, to), tenant filter', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('a')
    const b = await fixtures.tenant('b')
    const [g1, g2, g3, g4, g5] = await fixtures.gpus(['NVIDIA H100 80GB HBM3', 'NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-80GB', null, 'NVIDIA B200'])
    const j1 = await fixtures.job({ tenantId: a, name: 'train' })
    const j2 = await fixtures.job({ tenantId: b, name: 'infer' })
    const j3 = await fixtures.job({ tenantId: null, name: 'orphan' })
    const from = ms('2026-05-08T00:00:00Z')
    const to = ms('2026-05-10T00:00:00Z')
    const now = ms('2026-05-10T15:20:00Z')
    await fixtures.assign(j1, g1!, ms('2026-05-07T23:00:00Z'), ms('2026-05-08T01:00:00Z')) // starts before: clipped
    await fixtures.assign(j1, g2!, ms('2026-05-09T23:00:00Z'), null) // running: ends at `to`
    await fixtures.assign(j1, g3!, ms('2026-05-01T00:00:00Z'), ms('2026-05-02T00:00:00Z')) // before the window
    await fixtures.assign(j2, g4!, ms('2026-05-08T12:00:00Z'), ms('2026-05-08T12:00:00Z')) // zero length
    await fixtures.assign(j2, g5!, ms('2026-05-10T01:00:00Z'), null) // after the window
    await fixtures.assign(j3, g3!, ms('2026-05-09T00:00:00Z'), ms('2026-05-09T00:00:01.5Z'))

    const all = await store.billing.meterIntervals({ from, to, now })
    t.same(all.map(i => [i.jobId, i.gpuId, i.tenantId, i.gpuModel, i.start, i.end, i.running]), [
      [j1, g1, a, 'NVIDIA H100 80GB HBM3', from, ms('2026-05-08T01:00:00Z'), false],
      [j3, g3, null, 'NVIDIA A100-SXM4-80GB', ms('2026-05-09T00:00:00Z'), ms('2026-05-09T00:00:01.5Z'), false],
      [j1, g2, a, 'NVIDIA H100 80GB HBM3', ms('2026-05-09T23:00:00Z'), to, true],
    ])
    t.equal(all[0]?.jobName, 'train')
    t.same((await store.billing.meterIntervals({ from, to, now, tenantId: b })), [], 'tenant b: nothing in the window')
    const upToNow = await store.billing.meterIntervals({ from: ms('2026-05-10T00:00:00Z'), to: ms('2026-05-11T00:00:00Z'), now, tenantId: a })
    t.same(upToNow.map(i => [i.start, i.end, i.running]), [[ms('2026-05-10T00:00:00Z'), now, true]], 'a running row counts up to now')
  })

  t.test('createInvoice: one invoice per tenant and period, whatever its status; lines round-trip', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('Acme')
    const first = await store.billing.createInvoice(invoiceInput(a))
    t.equal(first.created, true)
    t.match(first.invoice, {
      id: Number, tenantId: a, tenantName: 'Acme', status: 'pending', totalGpuMs: 3_600_999, unpricedGpuMs: 1000, amountCents: 476,
      currency: 'usd', paymentUrl: null, paymentLinkAttempts: 0, statusChangedAt: null,
    })
    t.same(first.invoice.lineItems, invoiceInput(a).lineItems)

    const again = await store.billing.createInvoice(invoiceInput(a, { amountCents: 999, createdAt: 1 }))
    t.same(again, { invoice: first.invoice, created: false }, 'the existing invoice, unchanged')

    const racing = await Promise.all(Array.from({ length: 20 }, () => store.billing.createInvoice(invoiceInput(a, { periodStart: ms('2026-04-11T00:00:00Z') }))))
    t.equal(racing.filter(r => r.created).length, 1, 'concurrent calls: one creates')
    t.equal(new Set(racing.map(r => r.invoice.id)).size, 1, 'and all get the same invoice')

    await store.billing.setInvoiceStatus(first.invoice.id, 'paid', ['pending'], 5)
    const afterPaid = await store.billing.createInvoice(invoiceInput(a))
    t.equal(afterPaid.created, false, 'a paid period is not billed again')
    t.equal(afterPaid.invoice.status, 'paid')
    t.equal((await store.billing.listInvoices()).length, 2)
  })

  t.test('setInvoiceStatus: only from the allowed statuses', async t => {
    const { store, fixtures } = await fresh(t)
    const { invoice } = await store.billing.createInvoice(invoiceInput(await fixtures.tenant('a')))
    t.same(await store.billing.setInvoiceStatus(invoice.id + 100, 'paid', ['pending'], 1), { kind: 'not-found' })
    t.match(await store.billing.setInvoiceStatus(invoice.id, 'pending', ['overdue'], 1), { kind: 'unchanged', invoice: { status: 'pending', statusChangedAt: null } })
    t.match(await store.billing.setInvoiceStatus(invoice.id, 'overdue', ['pending'], 2), { kind: 'updated', from: 'pending', invoice: { status: 'overdue', statusChangedAt: 2 } })
    t.match(await store.billing.setInvoiceStatus(invoice.id, 'paid', ['pending', 'overdue'], 3), { kind: 'updated', from: 'overdue', invoice: { status: 'paid', statusChangedAt: 3 } })
    t.match(await store.billing.setInvoiceStatus(invoice.id, 'pending', ['overdue'], 4), { kind: 'refused', invoice: { status: 'paid', statusChangedAt: 3 } })
    t.equal((await store.billing.getInvoice(invoice.id))?.status, 'paid')
  })

  t.test('payment link claims: one holder at a time, stale claims retried, paid invoices never', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('a')
    const { invoice } = await store.billing.createInvoice(invoiceInput(a))
    t.equal(await store.billing.claimPaymentLink(invoice.id, 1000, 0), 1)
    t.equal(await store.billing.claimPaymentLink(invoice.id, 1001, 0), null, 'held')
    const failed = await store.billing.recordPaymentLinkFailure(invoice.id, 'stripe', 'stripe: api_error: boom')
    t.match(failed, { paymentProvider: 'stripe', paymentLinkError: 'stripe: api_error: boom', paymentUrl: null, paymentLinkAttempts: 1 })
    t.equal(await store.billing.claimPaymentLink(invoice.id, 1002, 0), 2, 'a failure releases the claim')
    t.equal(await store.billing.claimPaymentLink(invoice.id, 200_000, 100_000), 3, 'a stale claim (crashed holder) is taken over')
    const linked = await store.billing.recordPaymentLink(invoice.id, { provider: 'stripe', linkId: 'plink_1', url: 'https://buy.stripe.com/test_1' })
    t.match(linked, { paymentLinkId: 'plink_1', paymentUrl: 'https://buy.stripe.com/test_1', paymentLinkError: null })
    t.equal(await store.billing.claimPaymentLink(invoice.id, 900_000, 800_000), null, 'linked: nothing to claim')

    const other = (await store.billing.createInvoice(invoiceInput(a, { periodStart: 0 }))).invoice
    await store.billing.setInvoiceStatus(other.id, 'paid', ['pending'], 1)
    t.equal(await store.billing.claimPaymentLink(other.id, 1, 0), null, 'paid: no link')
    t.equal(await store.billing.claimPaymentLink(99999, 1, 0), null, 'unknown id')
  })

  t.test('listInvoices and invoiceTotals: filters, newest first, per tenant and status', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('a')
    const b = await fixtures.tenant('b')
    const i1 = (await store.billing.createInvoice(invoiceInput(a, { periodStart: 0, periodEnd: 100, amountCents: 1000, createdAt: 10 }))).invoice
    const i2 = (await store.billing.createInvoice(invoiceInput(a, { periodStart: 50, periodEnd: 150, amountCents: 250, createdAt: 20 }))).invoice
    const i3 = (await store.billing.createInvoice(invoiceInput(b, { tenantName: 'b', periodStart: 0, periodEnd: 100, amountCents: 7, createdAt: 30 }))).invoice
    await store.billing.setInvoiceStatus(i1.id, 'paid', ['pending'], 40)
    t.same((await store.billing.listInvoices()).map(i => i.id), [i3.id, i2.id, i1.id])
    t.same((await store.billing.listInvoices({ limit: 1 })).map(i => i.id), [i3.id])
    t.same((await store.billing.listInvoices({ tenantId: a })).map(i => i.id), [i2.id, i1.id])
    t.same((await store.billing.listInvoices({ createdFrom: 20, createdTo: 30 })).map(i => i.id), [i2.id])
    t.same((await store.billing.listInvoices({ tenantId: a, overlapping: { start: 100, end: 200 } })).map(i => i.id), [i2.id], 'end is exclusive')
    t.same((await store.billing.invoiceTotals()).map(r => [r.tenantId, r.tenantName, r.status, r.count, r.amountCents]), [
      [a, 'a', 'paid', 1, 1000], [a, 'a', 'pending', 1, 250], [b, 'b', 'pending', 1, 7],
    ])
    t.same((await store.billing.invoiceTotals({ tenantId: b })).map(r => r.tenantId), [b])
    t.same((await store.billing.invoiceTotals({ createdFrom: 15, createdTo: 25 })).map(r => [r.tenantId, r.amountCents]), [[a, 250]])
  })

  t.test('unlinkTenant: invoices keep the tenant name and drop the reference, so the tenant can be deleted', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('Gone Inc')
    const { invoice } = await store.billing.createInvoice(invoiceInput(a, { tenantName: 'Gone Inc' }))
    await t.rejects(fixtures.deleteTenant(a), /foreign key/i, 'an invoiced tenant cannot be deleted before unlinkTenant')
    t.equal(await store.billing.unlinkTenant(a), 1)
    await fixtures.deleteTenant(a)
    t.match(await store.billing.getInvoice(invoice.id), { tenantId: null, tenantName: 'Gone Inc' })
    t.same((await store.billing.invoiceTotals()).map(r => [r.tenantId, r.tenantName]), [[null, 'Gone Inc']])
  })

  t.test('a deleted tenant (issue 14): its GPU time up to the delete and its invoices stay its own', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('Gone Inc')
    const [g] = await fixtures.gpus(['NVIDIA H100 80GB HBM3'])
    const job = await fixtures.job({ tenantId: a })
    await fixtures.assign(job, g!, 1000, null)
    const first = (await store.billing.createInvoice(invoiceInput(a, { tenantName: 'Gone Inc', periodStart: 0, periodEnd: 500 }))).invoice
    await store.billing.unlinkTenant(a)
    t.match(await store.tenants.delete(a, 5000), { ok: true, unlinkedJobs: 1 }, 'a running job is unlinked, not refused')

    t.same(await store.billing.getTenant(a), { id: a, name: 'Gone Inc', deletedAt: 5000 })
    t.same((await store.billing.listTenants()).map(x => x.id), [], 'not listed among live tenants')
    t.same((await store.billing.meterIntervals({ from: 0, to: 10_000, now: 8000, tenantId: a })).map(m => [m.tenantId, m.start, m.end, m.running]),
      [[a, 1000, 5000, false]], 'up to the delete')
    t.same((await store.billing.meterIntervals({ from: 0, to: 10_000, now: 8000 })).map(m => [m.tenantId, m.start, m.end, m.running]),
      [[a, 1000, 5000, false], [null, 5000, 8000, true]], 'after it, nobody\'s')

    const later = await store.billing.createInvoice(invoiceInput(a, { tenantName: 'Gone Inc', periodStart: 0, periodEnd: 6000, priorInvoiceIds: [first.id] }))
    t.match(later, { created: true, invoice: { tenantId: null, tenantName: 'Gone Inc', periodStart: 0, periodEnd: 6000 } })
    t.same((await store.billing.listInvoices({ tenantId: a })).map(i => i.id), [later.invoice.id, first.id], 'found by whom they bill')
    t.match(await store.billing.createInvoice(invoiceInput(a, { tenantName: 'Gone Inc', periodStart: 0, periodEnd: 6000 })),
      { created: false, invoice: { id: later.invoice.id } }, 'idempotent per period after the delete too')
  })

  t.test('createInvoice with priorInvoiceIds: refuses when the overlapping invoices changed meanwhile', async t => {
    const { store, fixtures } = await fresh(t)
    const a = await fixtures.tenant('a')
    const b = await fixtures.tenant('b')
    const one = (await store.billing.createInvoice(invoiceInput(a, { periodStart: 0, periodEnd: 100 }))).invoice
    await store.billing.createInvoice(invoiceInput(b, { periodStart: 0, periodEnd: 300 }))
    await t.rejects(store.billing.createInvoice(invoiceInput(a, { periodStart: 50, periodEnd: 200, priorInvoiceIds: [] })), { code: 'INVOICE_OVERLAP_CHANGED' })
    t.equal((await store.billing.listInvoices({ tenantId: a })).length, 1, 'nothing written')
    const two = await store.billing.createInvoice(invoiceInput(a, { periodStart: 50, periodEnd: 200, priorInvoiceIds: [one.id] }))
    t.equal(two.created, true, 'another tenant\'s invoices do not count')
    await t.rejects(store.billing.createInvoice(invoiceInput(a, { periodStart: 150, periodEnd: 250, priorInvoiceIds: [] })), { code: 'INVOICE_OVERLAP_CHANGED' })
    t.match(await store.billing.createInvoice(invoiceInput(a, { periodStart: 200, periodEnd: 300, priorInvoiceIds: [] })), { created: true }, 'touching is not overlapping')
  })
}
