import t from 'tap'
import { createStripeProvider } from '../../../control-plane/billing/create-stripe-provider.ts'
import { PaymentProviderError } from '../../../control-plane/billing/payment-provider.ts'
import { parseStripeForm, startStripeStub } from '../../fakes/stripe-stub.ts'

const request = (o: Partial<Parameters<ReturnType<typeof createStripeProvider>['createPaymentLink']>[0]> = {}) => ({
  invoiceId: 7, tenantName: 'NovAI Labs', amountCents: 877_025, currency: 'usd', description: 'GPU usage NovAI Labs 2026-04-10 to 2026-05-09 (invoice 7)', idempotencyKey: 'gpufleet-invoice-7-attempt-1', ...o,
})

t.test('the real SDK path: a price in cents, then a payment link selling it once, invoice id in metadata', async t => {
  const stub = await startStripeStub()
  t.teardown(stub.close)
  const stripe = createStripeProvider({ apiKey: stub.apiKey, apiBase: stub.url, maxNetworkRetries: 0 })
  t.match(stripe, { name: 'stripe', minimumAmountCents: 50 })
  const link = await stripe.createPaymentLink(request())
  const [price] = stub.prices()
  const [made] = stub.paymentLinks()
  t.same(link, { id: made?.id, url: made?.url })
  t.match(link, { id: /^plink_/, url: /^https:\/\/buy\.stripe\.com\/test_/ })
  t.match(price, { id: /^price_/, currency: 'usd', unit_amount: 877_025, type: 'one_time', metadata: { invoice_id: '7', tenant_name: 'NovAI Labs' } })
  t.match(price?._product_data, { name: 'GPU usage NovAI Labs 2026-04-10 to 2026-05-09 (invoice 7)', metadata: { invoice_id: '7' } })
  t.same(made?._line_items, [{ price: price?.id, quantity: 1, unit_amount: 877_025 }])
  t.match(made, { metadata: { invoice_id: '7' }, payment_intent_data: { metadata: { invoice_id: '7' } } })

  const [p, l] = stub.requests()
  t.match(p, { method: 'POST', path: '/v1/prices', authorization: `Bearer ${stub.apiKey}`, idempotencyKey: 'gpufleet-invoice-7-attempt-1-price', stripeVersion: String })
  t.match(p?.form, { currency: 'usd', unit_amount: '877025', 'product_data[name]': String, 'metadata[invoice_id]': '7' })
  t.match(l?.form, { 'line_items[0][price]': price?.id, 'line_items[0][quantity]': '1', 'metadata[invoice_id]': '7' })
})

t.test('the same idempotency key creates nothing twice (Stripe replays its first answer)', async t => {
  const stub = await startStripeStub()
  t.teardown(stub.close)
  const stripe = createStripeProvider({ apiKey: stub.apiKey, apiBase: stub.url, maxNetworkRetries: 0 })
  const a = await stripe.createPaymentLink(request())
  const b = await stripe.createPaymentLink(request())
  t.same(a, b)
  t.equal(stub.prices().length, 1)
  t.equal(stub.paymentLinks().length, 1)
  t.same(stub.requests().map(r => r.replayed), [false, false, true, true])
  const c = await stripe.createPaymentLink(request({ idempotencyKey: 'gpufleet-invoice-7-attempt-2' }))
  t.not(c.id, a.id, 'a new attempt key is a new link')
})

t.test('errors become PaymentProviderError with a stable code; the key is never in the message', async t => {
  const stub = await startStripeStub()
  t.teardown(stub.close)
  const stripe = createStripeProvider({ apiKey: stub.apiKey, apiBase: stub.url, maxNetworkRetries: 0 })
  stub.failNext(1, { status: 400, code: 'amount_too_small', message: 'Amount must be at least $0.50 usd' }, '/v1/prices')
  const rejected = await stripe.createPaymentLink(request()).catch(e => e)
  t.ok(rejected instanceof PaymentProviderError)
  t.match(rejected, { code: 'PAYMENT_PROVIDER_REJECTED', provider: 'stripe', status: 400, message: /amount_too_small.*Amount must be at least/ })
  t.equal(stub.paymentLinks().length, 0, 'no link without a price')

  stub.failNext(1, { status: 503, message: 'try later' }, '/v1/payment_links')
  t.match(await stripe.createPaymentLink(request({ idempotencyKey: 'k2' })).catch(e => e), { code: 'PAYMENT_PROVIDER_UNAVAILABLE', status: 503 })
  stub.failNext(1, { status: 429, type: 'invalid_request_error', code: 'rate_limit', message: 'slow down' })
  t.match(await stripe.createPaymentLink(request({ idempotencyKey: 'k3' })).catch(e => e), { code: 'PAYMENT_PROVIDER_UNAVAILABLE', status: 429 }, '429 is retryable, not a rejection')

  const wrong = createStripeProvider({ apiKey: 'sk_test_51Nwrongkeywrongkey', apiBase: stub.url, maxNetworkRetries: 0 })
  const auth = await wrong.createPaymentLink(request({ idempotencyKey: 'k4' })).catch(e => e)
  t.match(auth, { code: 'PAYMENT_PROVIDER_REJECTED', status: 401 })
  t.notMatch(auth.message, /wrongkeywrongkey/)
})

t.test('with retries on, the SDK retries a 5xx with the same idempotency key', async t => {
  const stub = await startStripeStub()
  t.teardown(stub.close)
  const stripe = createStripeProvider({ apiKey: stub.apiKey, apiBase: stub.url, maxNetworkRetries: 1 })
  // Stripe-Should-Retry: true makes the SDK retry; its own backoff is the only wait here.
  stub.failNext(1, { status: 500, shouldRetry: true }, '/v1/payment_links')
  const link = await stripe.createPaymentLink(request())
  t.match(link, { id: /^plink_/ })
  const linkCalls = stub.requests().filter(r => r.path === '/v1/payment_links')
  t.same(linkCalls.map(r => [r.status, r.idempotencyKey]), [[500, 'gpufleet-invoice-7-attempt-1-link'], [200, 'gpufleet-invoice-7-attempt-1-link']])
})

t.test('options are checked when built, each message naming the option', async t => {
  const ok = { apiKey: 'sk_test_aaaaaaaaaaaa' }
  t.throws(() => createStripeProvider({ apiKey: '' }), /apiKey/)
  t.throws(() => createStripeProvider({ apiKey: 'pk_test_aaaaaaaaaaaa' }), /apiKey/, 'a publishable key is refused')
  t.throws(() => createStripeProvider({ apiKey: 'sk_test_aaaa aaaa' }), /apiKey/)
  t.throws(() => createStripeProvider({ ...ok, apiBase: 'ftp://x' }), /apiBase/)
  t.throws(() => createStripeProvider({ ...ok, apiBase: 'http://127.0.0.1:1/v1' }), /apiBase/)
  t.throws(() => createStripeProvider({ ...ok, apiBase: 'not a url' }), /apiBase/)
  t.throws(() => createStripeProvider({ ...ok, apiBase: 'http://127.0.0.1:1', port: 2 }), /not both/)
  t.throws(() => createStripeProvider({ ...ok, port: 0 }), /port/)
  t.throws(() => createStripeProvider({ ...ok, host: 'http://x' }), /host/)
  t.throws(() => createStripeProvider({ ...ok, protocol: 'ftp' as 'http' }), /protocol/)
  t.throws(() => createStripeProvider({ ...ok, timeoutMs: 0 }), /timeoutMs/)
  t.throws(() => createStripeProvider({ ...ok, maxNetworkRetries: -1 }), /maxNetworkRetries/)
  t.doesNotThrow(() => createStripeProvider({ ...ok, apiBase: 'https://api.stripe.com' }))
  t.doesNotThrow(() => createStripeProvider({ apiKey: 'rk_live_aaaaaaaaaaaa', host: 'localhost', port: 12111, protocol: 'http' }))
})

t.test('parseStripeForm (the stub reads Stripe\'s bracket encoding)', async t => {
  t.same(parseStripeForm({ 'line_items[0][price]': 'p', 'line_items[0][quantity]': '1', 'metadata[a]': 'b', x: 'y' }),
    { line_items: [{ price: 'p', quantity: '1' }], metadata: { a: 'b' }, x: 'y' })
})
