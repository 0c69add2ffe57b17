import { createStripeProvider } from '../control-plane/billing/create-stripe-provider.ts'
import type { PaymentProvider } from '../control-plane/billing/payment-provider.ts'
import { ControlPlaneError } from '../control-plane/errors.ts'

/**
 * Stripe payment links when GPUFLEET_STRIPE_API_KEY is set (env only, like the admin key: a
 * flag would show the secret in `ps`); `--stripe-api-base` points it elsewhere (a test stub).
 */
export function paymentProviderFrom (apiBase: string | undefined): PaymentProvider | undefined {
  const apiKey = process.env.GPUFLEET_STRIPE_API_KEY
  if (apiKey === undefined || apiKey === '') return undefined
  try {
    return createStripeProvider({ apiKey, apiBase })
  } catch (err) {
    throw new ControlPlaneError('CONFIG_INVALID', `invalid Stripe configuration (GPUFLEET_STRIPE_API_KEY, --stripe-api-base): ${(err as Error).message}`)
  }
}
