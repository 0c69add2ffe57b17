import t, { type Test } from 'tap'
import { createStripeProvider } from '../../../control-plane/billing/create-stripe-provider.ts'
import type { PaymentProvider } from '../../../control-plane/billing/payment-provider.ts'
import { startStripeStub, type StripeStub } from '../../fakes/stripe-stub.ts'
import { closedUrl } from '../../helpers/closed-url.ts'
import { at, billingHarness, type HarnessOptions } from './billing-harness.ts'
import { expectCents, seedScenario } from './billing-scenario.ts'

async function setup (t: Test, opts: HarnessOptions = {}) {
  const h = billingHarness(opts)
  t.teardown(h.close)
  const s = await seedScenario(h.fixtures)
  return { h, ...s }
}

async function stub (t: Test): Promise<StripeStub> {
  const s = await startStripeStub()
  t.teardown(s.close)
  return s
}

const stripeFor = (s: StripeStub): PaymentProvider => createStripeProvider({ apiKey: s.apiKey, host: s.host, port: s.port, protocol: 'http', maxNetworkRetries: 0 })

t.test('invoice totals equal usage × rate to the cent, per GPU type, clipped to the period', async t => {
  const { h, acme } = await setup(t)
  const res = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(res.status, 201)
  const lines = {
    H100: 3_600_999 + 37_063_123,
    A100: 17_331_224,
    B200: 14_399_999,
    A6000: 3_600_000,
  }
  const expected = {
    H100: expectCents(lines.H100, 476),
    A100: expectCents(lines.A100, 221),
    B200: expectCents(lines.B200, 599),
    A6000: expectCents(lines.A6000, 128),
  }
  t.same(expected, { H100: 5377, A100: 1064, B200: 2396, A6000: 128 }, 'the hand-checked figures')
  const total = 5377 + 1064 + 2396 + 128
  t.match(res.body, {
    invoice: {
      id: Number,
      tenant_id: acme,
      tenant_name: 'Acme ML',
      status: 'pending',
      period_start: '2026-05-08T00:00:00.000Z',
      period_end: '2026-05-10T00:00:00.000Z',
      days: 2,
      amount_cents: total,
      amount: 89.65,
      currency: 'usd',
      stripe_payment_url: null,
      unpriced_gpu_seconds: 7200.5,
    },
    total_amount: 89.65,
    total_gpu_hours: 23.11,
    payment_url: null,
    created: true,
    overlapping_invoice_ids: [],
  })
  t.same(res.body.line_items.map((l: any) => [l.gpu_type, l.gpu_seconds, l.cents_per_gpu_hour, l.amount_cents, l.price_per_hour, l.amount]), [
    ['A100', 17_331.224, 221, 1064, 2.21, 10.64],
    ['A6000', 3600, 128, 128, 1.28, 1.28],
    ['B200', 14_399.999, 599, 2396, 5.99, 23.96],
    ['H100', 40_664.122, 476, 5377, 4.76, 53.77],
    ['NVIDIA L40S', 7200.5, null, null, null, null],
  ], 'one line per rate; the unmatched model is listed, unpriced')
  t.equal(res.body.invoice.total_gpu_seconds, (lines.H100 + lines.A100 + lines.B200 + lines.A6000 + 7_200_500) / 1000)
  t.same(res.body.invoice.line_items, res.body.line_items)

  const nova = await h.post('/api/tenants/2/invoice?days=2')
  t.match(nova.body, { invoice: { tenant_id: 2, amount_cents: 476 }, line_items: [{ gpu_type: 'H100', gpu_seconds: 3600 }] }, "the other tenant's bill has only its own job")
})

t.test('the same invoice for the whole UTC day, unchanged by later usage; a new day is a new period', async t => {
  const { h, acme, jobs } = await setup(t)
  const first = await h.post(`/api/tenants/${acme}/invoice`)
  t.equal(first.status, 201)
  t.equal(first.body.invoice.days, 30)
  t.equal(first.body.invoice.period_start, '2026-04-10T00:00:00.000Z', 'default days=30')

  // More usage inside the period appears (a late-recorded release), and the clock moves on.
  const [g] = await h.fixtures.gpus(['NVIDIA H100 80GB HBM3'])
  await h.fixtures.assign(jobs.embed, g!, at('2026-05-01T00:00:00Z'), at('2026-05-01T05:00:00Z'))
  h.setNow(at('2026-05-10T23:59:59.999Z'))
  const second = await h.post(`/api/tenants/${acme}/invoice`)
  t.equal(second.status, 200)
  t.equal(second.body.created, false)
  t.same(second.body.invoice, first.body.invoice, 'the stored invoice, not a recomputation')
  t.equal((await h.store.billing.listInvoices()).length, 1)

  h.setNow(at('2026-05-11T00:00:00Z'))
  const next = await h.post(`/api/tenants/${acme}/invoice`)
  t.equal(next.status, 201)
  t.not(next.body.invoice.id, first.body.invoice.id)
  t.same(next.body.overlapping_invoice_ids, [first.body.invoice.id], 'overlap with the earlier period is flagged')
})

t.test('concurrent calls make one invoice and one payment link', async t => {
  const s = await stub(t)
  const { h, acme } = await setup(t, { payments: stripeFor(s) })
  const results = await Promise.all(Array.from({ length: 12 }, () => h.post(`/api/tenants/${acme}/invoice?days=2`)))
  t.same(results.map(r => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
  t.equal(new Set(results.map(r => r.body.invoice.id)).size, 1, 'one invoice id')
  t.equal((await h.store.billing.listInvoices()).length, 1)
  t.equal(s.prices().length, 1, 'one Stripe price')
  t.equal(s.paymentLinks().length, 1, 'one Stripe payment link')
  const again = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(again.body.payment_url, s.paymentLinks()[0]!.url, 'afterwards every call returns the link')
  t.match(again.body.payment_link, { created: false, provider: 'stripe', url: s.paymentLinks()[0]!.url, reason: null, error: null })
})

t.test('no Stripe key configured: the invoice is made, the response says no link was made', async t => {
  const { h, acme } = await setup(t)
  const res = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(res.status, 201)
  t.equal(res.body.payment_url, null)
  t.same(res.body.payment_link, { created: false, provider: null, url: null, reason: 'no payment provider configured', error: null })
  t.match(await h.store.billing.getInvoice(res.body.invoice.id), { amountCents: 8965, paymentUrl: null, paymentProvider: null })
})

t.test('Stripe through the official SDK against the stub: price in cents, link for it, invoice id in metadata', async t => {
  const s = await stub(t)
  const { h, acme } = await setup(t, { payments: stripeFor(s) })
  const res = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(res.status, 201)
  const id = res.body.invoice.id
  const [price] = s.prices()
  const [link] = s.paymentLinks()
  t.match(price, { object: 'price', currency: 'usd', unit_amount: 8965, metadata: { invoice_id: String(id), tenant_name: 'Acme ML' } })
  t.match(price?._product_data, { name: `GPU usage Acme ML 2026-05-08 to 2026-05-09 (invoice ${id})` })
  t.match(link, { object: 'payment_link', metadata: { invoice_id: String(id) }, payment_intent_data: { metadata: { invoice_id: String(id) } } })
  t.same(link?._line_items, [{ price: price?.id, quantity: 1, unit_amount: 8965 }])
  t.match(link?.url, /^https:\/\/buy\.stripe\.com\/test_/)
  t.match(res.body, {
    payment_url: link?.url,
    invoice: { stripe_payment_url: link?.url, payment_provider: 'stripe', payment_link_id: link?.id },
    payment_link: { created: true, provider: 'stripe', url: link?.url, reason: null, error: null },
  })
  const sent = s.requests()
  t.same(sent.map(r => [r.path, r.idempotencyKey]), [
    ['/v1/prices', `gpufleet-invoice-${id}-attempt-1-price`],
    ['/v1/payment_links', `gpufleet-invoice-${id}-attempt-1-link`],
  ])
  t.ok(sent.every(r => r.authorization === `Bearer ${s.apiKey}` && r.contentType === 'application/x-www-form-urlencoded'))
  t.ok(h.lines.every(l => !JSON.stringify(l).includes(s.apiKey)), 'the key is never logged')
})

t.test('provider failure: the invoice is kept without a URL, the error reported; the next call retries the link', async t => {
  const s = await stub(t)
  const { h, acme } = await setup(t, { payments: stripeFor(s) })
  s.failNext(1, { status: 500, message: 'Stripe is having a moment' }, '/v1/payment_links')
  const res = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(res.status, 201, 'the invoice was made: success, with the link failure in the body')
  t.match(res.body, {
    created: true,
    payment_url: null,
    invoice: { status: 'pending', stripe_payment_url: null, payment_link_error: /Stripe is having a moment/ },
    payment_link: { created: false, provider: 'stripe', reason: 'payment provider failed', error: { code: 'PAYMENT_PROVIDER_UNAVAILABLE', message: /Stripe is having a moment/ } },
  })
  t.ok(h.lines.some(l => l.level === 'warn' && l.msg.includes('payment link failed')))
  t.equal((await h.store.billing.listInvoices()).length, 1, 'kept')

  const retry = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(retry.status, 200)
  t.equal(retry.body.invoice.id, res.body.invoice.id)
  t.match(retry.body, { created: false, payment_link: { created: true }, invoice: { payment_link_error: null } })
  t.equal(retry.body.payment_url, s.paymentLinks()[0]?.url)
  t.equal(s.paymentLinks().length, 1)
  t.match(s.requests().at(-1), { idempotencyKey: /-attempt-2-link$/ }, 'a fresh idempotency key per attempt')
})

t.test('Stripe unreachable or refusing the key: invoice kept, error code says which', async t => {
  const down = new URL(await closedUrl())
  const unreachable = createStripeProvider({ apiKey: 'sk_test_aaaaaaaaaaaaaaaa', host: down.hostname, port: Number(down.port), protocol: 'http', maxNetworkRetries: 0 })
  const { h, acme } = await setup(t, { payments: unreachable })
  const res = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.equal(res.status, 201)
  t.match(res.body.payment_link, { created: false, error: { code: 'PAYMENT_PROVIDER_UNAVAILABLE' } })

  const s = await stub(t)
  const wrongKey = createStripeProvider({ apiKey: 'sk_test_wrongwrongwrong', apiBase: s.url, maxNetworkRetries: 0 })
  const h2 = billingHarness({ payments: wrongKey })
  t.teardown(h2.close)
  const { acme: acme2 } = await seedScenario(h2.fixtures)
  const res2 = await h2.post(`/api/tenants/${acme2}/invoice?days=2`)
  t.match(res2.body.payment_link, { error: { code: 'PAYMENT_PROVIDER_REJECTED', message: /Invalid API Key/ } })
  t.notMatch(res2.body.payment_link.error.message, /wrongwrongwrong/, 'the key is not echoed')
})

t.test('a crashed link attempt blocks others only until its claim goes stale', async t => {
  let calls = 0
  let release: (() => void) | undefined
  const slow: PaymentProvider = {
    name: 'fake',
    minimumAmountCents: 50,
    async createPaymentLink (req) {
      calls++
      if (calls === 1) await new Promise<void>(resolve => { release = resolve })
      return { id: `link_${req.idempotencyKey}`, url: `https://pay.example/${calls}` }
    },
  }
  const { h, acme } = await setup(t, { payments: slow, paymentLinkClaimMs: 60_000 })
  const first = h.post(`/api/tenants/${acme}/invoice?days=2`)
  // Let the first request reach the provider (it waits there).
  while (release === undefined) await new Promise(resolve => setImmediate(resolve))
  const second = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.match(second.body.payment_link, { created: false, reason: 'a payment link is being created by another request' })
  h.setNow(h.now() + 60_001)
  const third = await h.post(`/api/tenants/${acme}/invoice?days=2`)
  t.match(third.body.payment_link, { created: true, url: 'https://pay.example/2' }, 'stale claim taken over')
  release()
  const late = await first
  t.equal(late.status, 201)
  t.equal((await h.store.billing.getInvoice(late.body.invoice.id))?.paymentLinkAttempts, 2)
})

t.test('no link for a paid invoice, a zero bill, or an amount under the provider minimum', async t => {
  const made: string[] = []
  const fake: PaymentProvider = { name: 'fake', minimumAmountCents: 50, async createPaymentLink (r) { made.push(r.idempotencyKey); return { id: 'x', url: 'https://pay.example/x' } } }
  const h = billingHarness({ payments: fake })
  t.teardown(h.close)
  const idle = await h.fixtures.tenant('idle')
  const small = await h.fixtures.tenant('small')
  const [g] = await h.fixtures.gpus(['NVIDIA A6000'])
  const job = await h.fixtures.job({ tenantId: small })
  await h.fixtures.assign(job, g!, at('2026-05-09T00:00:00Z'), at('2026-05-09T00:10:00Z')) // 10 min × 128 ¢/h = 21 ¢

  const zero = await h.post(`/api/tenants/${idle}/invoice?days=2`)
  t.match(zero.body, { created: true, total_amount: 0, line_items: [], payment_link: { created: false, reason: 'nothing to pay' } })
  const tiny = await h.post(`/api/tenants/${small}/invoice?days=2`)
  t.match(tiny.body, { total_amount: 0.21, payment_link: { created: false, reason: /below the provider's minimum of 50 cents/ } })
  t.equal((await h.patch(`/api/invoices/${tiny.body.invoice.id}/status`, { status: 'paid' })).status, 200)
  const paid = await h.post(`/api/tenants/${small}/invoice?days=2`)
  t.match(paid.body, { created: false, invoice: { status: 'paid' }, payment_link: { reason: 'invoice is paid' } }, 'a paid period is returned, not billed again')
  t.same(made, [])
})

t.test('tenant isolation and scopes on POST /api/tenants/:id/invoice', async t => {
  const { h, acme, nova } = await setup(t)
  const before = h.snapshot()
  t.equal((await h.post(`/api/tenants/${nova}/invoice`, `admin;tenant:${acme}`)).status, 404, "another tenant's id is 404")
  t.equal((await h.post('/api/tenants/999/invoice', 'admin')).status, 404)
  t.equal((await h.post(`/api/tenants/${acme}/invoice`, 'write')).status, 403, 'write is not enough')
  t.equal((await h.post(`/api/tenants/${acme}/invoice`, 'read')).status, 403)
  t.equal((await h.post(`/api/tenants/${acme}/invoice`, '')).status, 401)
  t.equal(h.snapshot(), before, 'nothing written')
  const own = await h.post(`/api/tenants/${acme}/invoice`, `admin;tenant:${acme}`)
  t.equal(own.status, 201, 'a tenant-bound admin key may invoice its own tenant')
})
