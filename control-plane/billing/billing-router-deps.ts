import type { RequireScope } from '../http/cp-env.ts'
import type { Store } from '../store/store.ts'
import type { BillingLogger } from './issue-invoice.ts'
import type { PaymentProvider } from './payment-provider.ts'

export interface BillingRouterDeps {
  store: Pick<Store, 'billing'>
  requireScope: RequireScope
  now: () => number
  log: BillingLogger
  /** Absent: invoices are still made, without payment links (the response says so). */
  payments?: PaymentProvider | undefined
  /** How long one request's payment-link attempt blocks others for the same invoice; default 2 minutes. */
  paymentLinkClaimMs?: number | undefined
}
