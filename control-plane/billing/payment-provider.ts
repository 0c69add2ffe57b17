/** What an invoice asks a payment provider for: a hosted page where the tenant pays it. */
export interface PaymentLinkRequest {
  invoiceId: number
  tenantName: string
  /** Integer cents in `currency`. */
  amountCents: number
  /** ISO 4217, lower case ('usd'). */
  currency: string
  description: string
  /**
   * Stable per invoice and attempt: a request the provider already answered (a network retry,
   * a crash between its answer and ours) returns the same objects instead of making new ones.
   */
  idempotencyKey: string
}

export interface PaymentLink {
  id: string
  url: string
}

/** Payment links go through this interface; Stripe is one implementation (create-stripe-provider.ts). */
export interface PaymentProvider {
  /** Stored on the invoice as payment_provider ('stripe'). */
  readonly name: string
  /** The provider cannot charge less (Stripe: 50 cents in USD); smaller invoices get no link. */
  readonly minimumAmountCents: number
  createPaymentLink: (request: PaymentLinkRequest) => Promise<PaymentLink>
}

export type PaymentProviderErrorCode =
  /** The provider answered 4xx: our request or our credentials are wrong; a retry will not help. */
  | 'PAYMENT_PROVIDER_REJECTED'
  /** Network failure, timeout or 5xx: retrying later may work. */
  | 'PAYMENT_PROVIDER_UNAVAILABLE'
  /** The provider answered 2xx with something we cannot use. */
  | 'PAYMENT_PROVIDER_BAD_RESPONSE'

/** The one error a provider throws; `message` is safe to show (no secrets). */
export class PaymentProviderError extends Error {
  readonly code: PaymentProviderErrorCode
  readonly provider: string
  /** The provider's HTTP status, when it answered. */
  readonly status: number | undefined

  constructor (code: PaymentProviderErrorCode, provider: string, message: string, options?: { status?: number | undefined, cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PaymentProviderError'
    this.code = code
    this.provider = provider
    this.status = options?.status
  }
}
