import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { listenFake } from './runtimes/listen-fake.ts'

/**
 * A stand-in for the two Stripe endpoints gpufleet uses, on 127.0.0.1:0, so the official SDK
 * runs its real request path (form encoding, auth header, idempotency keys, error parsing)
 * without the network: `POST /v1/prices` and `POST /v1/payment_links`, answering objects
 * shaped like Stripe's (ids price_…, prod_…, plink_…; url https://buy.stripe.com/test_…).
 * Like Stripe it checks the secret key, validates the fields gpufleet sends, refuses a link
 * to an unknown price, and replays the first answer for a repeated Idempotency-Key.
 * `failNext` makes the next requests fail with a Stripe-style error.
 */

export interface StubRequest {
  method: string
  path: string
  /** Flat form fields as sent ('line_items[0][price]' → 'price_…'). */
  form: Record<string, string>
  /** The same fields nested the way Stripe reads them. */
  body: Record<string, unknown>
  authorization: string | null
  idempotencyKey: string | null
  stripeVersion: string | null
  contentType: string | null
  status: number
  replayed: boolean
}

export interface StubFailure {
  status: number
  type?: string
  code?: string
  message?: string
  /** Sent as Stripe-Should-Retry (the SDK obeys it). */
  shouldRetry?: boolean
}

export interface StripeStub {
  /** http://127.0.0.1:PORT, for createStripeProvider({ apiBase }). */
  url: string
  host: string
  port: number
  /** The secret key it accepts. */
  apiKey: string
  requests: () => StubRequest[]
  prices: () => Array<Record<string, any>>
  paymentLinks: () => Array<Record<string, any>>
  /** The next `count` requests (any path, or only `path`) fail with `failure`. */
  failNext: (count: number, failure: StubFailure, path?: string) => void
  close: () => Promise<void>
}

/** Parses Stripe's form encoding: `a[b][0][c]=v` → { a: { b: [{ c: 'v' }] } }. */
export function parseStripeForm (form: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(form)) {
    const path = key.replace(/\]/g, '').split('[')
    let node: any = root
    path.forEach((seg, i) => {
      if (i === path.length - 1) { node[seg] = value; return }
      const nextIsIndex = /^[0-9]+$/.test(path[i + 1] ?? '')
      node[seg] ??= nextIsIndex ? [] : {}
      node = node[seg]
    })
  }
  return root
}

type StubEnv = { Variables: { entry: StubRequest } }

const id = (prefix: string): string => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`

export async function startStripeStub (options: { apiKey?: string } = {}): Promise<StripeStub> {
  const apiKey = options.apiKey ?? 'sk_test_gpufleetstub0000000000'
  const requests: StubRequest[] = []
  const prices = new Map<string, Record<string, any>>()
  const links: Array<Record<string, any>> = []
  const replays = new Map<string, { status: number, body: unknown }>()
  const failures: Array<{ failure: StubFailure, path: string | undefined }> = []

  const app = new Hono<StubEnv>()
  const stripeError = (c: Context<StubEnv>, status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => {
    c.header('Request-Id', id('req'))
    for (const [k, v] of Object.entries(headers)) c.header(k, v)
    return c.json({ error }, status as 400)
  }

  app.use('/v1/*', async (c, next) => {
    const raw = await c.req.text()
    const form = Object.fromEntries(new URLSearchParams(raw))
    const entry: StubRequest = {
      method: c.req.method,
      path: c.req.path,
      form,
      body: parseStripeForm(form),
      authorization: c.req.header('authorization') ?? null,
      idempotencyKey: c.req.header('idempotency-key') ?? null,
      stripeVersion: c.req.header('stripe-version') ?? null,
      contentType: c.req.header('content-type') ?? null,
      status: 0,
      replayed: false,
    }
    requests.push(entry)
    c.set('entry', entry)

    const failAt = failures.findIndex(f => f.path === undefined || f.path === c.req.path)
    if (failAt >= 0) {
      const { failure } = failures.splice(failAt, 1)[0]!
      entry.status = failure.status
      return stripeError(c, failure.status, {
        type: failure.type ?? (failure.status >= 500 ? 'api_error' : 'invalid_request_error'),
        message: failure.message ?? 'Injected failure',
        ...(failure.code === undefined ? {} : { code: failure.code }),
      }, failure.shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(failure.shouldRetry) })
    }
    if (entry.authorization !== `Bearer ${apiKey}`) {
      entry.status = 401
      const shown = (entry.authorization ?? '').replace(/^Bearer /, '')
      return stripeError(c, 401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${shown.slice(0, 8)}****${shown.slice(-4)}` })
    }
    const replayKey = entry.idempotencyKey === null ? null : `${c.req.path} ${entry.idempotencyKey}`
    const replay = replayKey === null ? undefined : replays.get(replayKey)
    if (replay !== undefined) {
      entry.status = replay.status
      entry.replayed = true
      c.header('Idempotent-Replayed', 'true')
      return c.json(replay.body as object, replay.status as 200)
    }
    await next()
    entry.status = c.res.status
    // Stripe keeps the result of a request that ran, errors included.
    if (replayKey !== null) replays.set(replayKey, { status: c.res.status, body: await c.res.clone().json() })
  })

  app.post('/v1/prices', c => {
    const { body } = c.get('entry')
    const currency = String(body.currency ?? '')
    const amount = String(body.unit_amount ?? '')
    const productData = body.product_data as Record<string, any> | undefined
    if (!/^[a-z]{3}$/.test(currency)) return stripeError(c, 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'currency', message: 'Missing required param: currency.' })
    if (!/^[0-9]{1,12}$/.test(amount)) return stripeError(c, 400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'unit_amount', message: 'Invalid integer: ' + amount })
    if (typeof productData?.name !== 'string' || productData.name === '') {
      return stripeError(c, 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'product_data[name]', message: 'Missing required param: product_data[name].' })
    }
    const price = {
      id: id('price'),
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      created: Math.floor(Date.now() / 1000),
      currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: null,
      metadata: body.metadata ?? {},
      nickname: null,
      product: id('prod'),
      recurring: null,
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'one_time',
      unit_amount: Number(amount),
      unit_amount_decimal: amount,
      // Not part of Stripe's price object: what the inline product was made from, for assertions.
      _product_data: productData,
    }
    prices.set(price.id, price)
    return c.json(price, 200)
  })

  app.post('/v1/payment_links', c => {
    const { body } = c.get('entry')
    const items = body.line_items as Array<Record<string, string>> | undefined
    if (!Array.isArray(items) || items.length === 0) {
      return stripeError(c, 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'line_items', message: 'Missing required param: line_items.' })
    }
    const first = items[0]!
    const price = prices.get(first.price ?? '')
    if (price === undefined) return stripeError(c, 400, { type: 'invalid_request_error', code: 'resource_missing', param: 'line_items[0][price]', message: `No such price: '${first.price ?? ''}'` })
    if (!/^[1-9][0-9]*$/.test(first.quantity ?? '')) {
      return stripeError(c, 400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'line_items[0][quantity]', message: 'Invalid quantity' })
    }
    const link = {
      id: id('plink'),
      object: 'payment_link',
      active: true,
      allow_promotion_codes: false,
      currency: price.currency,
      livemode: false,
      metadata: body.metadata ?? {},
      payment_intent_data: body.payment_intent_data ?? null,
      url: `https://buy.stripe.com/test_${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
      // Not part of Stripe's object: the line items as the stub understood them.
      _line_items: items.map(i => ({ price: i.price, quantity: Number(i.quantity), unit_amount: prices.get(i.price ?? '')?.unit_amount })),
    }
    links.push(link)
    return c.json(link, 200)
  })

  app.all('*', c => stripeError(c, 404, { type: 'invalid_request_error', message: `Unrecognized request URL (${c.req.method}: ${c.req.path}).` }))

  const server = await listenFake(app as unknown as Hono)
  const port = Number(new URL(server.url).port)
  return {
    url: server.url,
    host: '127.0.0.1',
    port,
    apiKey,
    requests: () => [...requests],
    prices: () => [...prices.values()],
    paymentLinks: () => [...links],
    failNext: (count, failure, path) => { for (let i = 0; i < count; i++) failures.push({ failure, path }) },
    close: server.close,
  }
}
