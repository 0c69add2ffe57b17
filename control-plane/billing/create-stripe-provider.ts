import Stripe from 'stripe'
import { PaymentProviderError, type PaymentLink, type PaymentLinkRequest, type PaymentProvider } from './payment-provider.ts'

export interface StripeProviderOptions {
  /** Secret or restricted key (sk_… / rk_…); never logged. */
  apiKey: string
  /** Where the API is: 'https://api.stripe.com' by default; tests point it at a loopback stub. Or give host/port/protocol. */
  apiBase?: string | undefined
  host?: string | undefined
  port?: number | undefined
  protocol?: 'http' | 'https' | undefined
  /** Per request; default 20 s (the SDK's 80 s would hold an invoice request far too long). */
  timeoutMs?: number | undefined
  /** SDK retries of network errors, 409 and 5xx with the same idempotency key; default 2. */
  maxNetworkRetries?: number | undefined
}

const KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/
// Stripe's minimum charge in USD; other currencies have their own and would need a table.
const MINIMUM_USD_CENTS = 50

function endpoint (o: StripeProviderOptions): { host?: string, port?: number, protocol?: 'http' | 'https' } {
  if (o.apiBase === undefined) {
    if (o.host !== undefined && (typeof o.host !== 'string' || !/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$/.test(o.host))) {
      throw new TypeError('createStripeProvider: host must be a host name or IP address, without scheme or port')
    }
    if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)) {
      throw new TypeError('createStripeProvider: port must be an integer from 1 to 65535')
    }
    if (o.protocol !== undefined && o.protocol !== 'http' && o.protocol !== 'https') {
      throw new TypeError("createStripeProvider: protocol must be 'http' or 'https'")
    }
    return { ...(o.host === undefined ? {} : { host: o.host }), ...(o.port === undefined ? {} : { port: o.port }), ...(o.protocol === undefined ? {} : { protocol: o.protocol }) }
  }
  if (o.host !== undefined || o.port !== undefined || o.protocol !== undefined) {
    throw new TypeError('createStripeProvider: give apiBase or host/port/protocol, not both')
  }
  let url: URL
  try { url = new URL(o.apiBase) } catch { throw new TypeError('createStripeProvider: apiBase must be a URL such as https://api.stripe.com') }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new TypeError('createStripeProvider: apiBase must be http(s)://host[:port] with no path, query or credentials')
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https'
  return { host: url.hostname, port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port), protocol }
}

function failure (err: unknown): PaymentProviderError {
  if (err instanceof PaymentProviderError) return err
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode
    // The SDK's messages name the Stripe error, never the key (Stripe masks it in 401s).
    const message = `stripe: ${err.type}${err.code === undefined ? '' : ` (${err.code})`}: ${err.message}`
    const code = status !== undefined && status >= 400 && status < 500 && status !== 409 && status !== 429 ? 'PAYMENT_PROVIDER_REJECTED' : 'PAYMENT_PROVIDER_UNAVAILABLE'
    return new PaymentProviderError(code, 'stripe', message, { status, cause: err })
  }
  return new PaymentProviderError('PAYMENT_PROVIDER_UNAVAILABLE', 'stripe', `stripe: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}

/**
 * Payment links through the official Stripe SDK: one Price (unit_amount in cents, product
 * made inline from product_data) and one Payment Link selling it once, both tagged with the
 * invoice id (also on the PaymentIntent, so a later webhook can find the invoice). Each call
 * carries an idempotency key derived from the request's, so SDK retries and repeated attempts
 * at the same key create nothing twice.
 */
export function createStripeProvider (options: StripeProviderOptions): PaymentProvider {
  if (typeof options?.apiKey !== 'string' || !KEY.test(options.apiKey)) {
    throw new TypeError('createStripeProvider: apiKey must be a Stripe secret or restricted key (sk_test_…, sk_live_…, rk_…)')
  }
  const timeoutMs = options.timeoutMs ?? 20_000
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) throw new TypeError('createStripeProvider: timeoutMs must be an integer from 1 to 120000')
  const maxNetworkRetries = options.maxNetworkRetries ?? 2
  if (!Number.isInteger(maxNetworkRetries) || maxNetworkRetries < 0 || maxNetworkRetries > 5) throw new TypeError('createStripeProvider: maxNetworkRetries must be an integer from 0 to 5')
  const stripe = new Stripe(options.apiKey, {
    ...endpoint(options),
    timeout: timeoutMs,
    maxNetworkRetries,
    // No usage telemetry headers to Stripe from a self-hosted control plane.
    telemetry: false,
    appInfo: { name: 'gpufleet' },
  })

  return {
    name: 'stripe',
    minimumAmountCents: MINIMUM_USD_CENTS,
    async createPaymentLink (req: PaymentLinkRequest): Promise<PaymentLink> {
      const metadata = { invoice_id: String(req.invoiceId), tenant_name: req.tenantName.slice(0, 500) }
      try {
        const price = await stripe.prices.create({
          currency: req.currency,
          unit_amount: req.amountCents,
          product_data: { name: req.description.slice(0, 250), metadata },
          metadata,
        }, { idempotencyKey: `${req.idempotencyKey}-price` })
        const link = await stripe.paymentLinks.create({
          line_items: [{ price: price.id, quantity: 1 }],
          metadata,
          payment_intent_data: { metadata },
        }, { idempotencyKey: `${req.idempotencyKey}-link` })
        if (typeof link.id !== 'string' || typeof link.url !== 'string' || !/^https?:\/\//.test(link.url)) {
          throw new PaymentProviderError('PAYMENT_PROVIDER_BAD_RESPONSE', 'stripe', 'stripe: the payment link came back without an id or url')
        }
        return { id: link.id, url: link.url }
      } catch (err) {
        throw failure(err)
      }
    },
  }
}
