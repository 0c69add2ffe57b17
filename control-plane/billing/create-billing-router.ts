import type { OpenAPIHono } from '@hono/zod-openapi'
import type { CpEnv } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import type { BillingRouterDeps } from './billing-router-deps.ts'
import { registerInvoiceRoutes } from './register-invoice-routes.ts'
import { registerRateRoutes } from './register-rate-routes.ts'
import { registerUsageRoutes } from './register-usage-routes.ts'

export type { BillingRouterDeps } from './billing-router-deps.ts'

/**
 * Metering and billing (seed 003 "Billing", tenant usage, dashboard revenue), routes with full
 * paths: mount at '/'. GET /api/rates, PUT /api/rates/:gpu_type, GET /api/tenants/:id/usage,
 * POST /api/tenants/:id/invoice, GET /api/invoices/:id, PATCH /api/invoices/:id/status,
 * GET /api/billing/summary, GET /api/dashboard/revenue.
 */
export function createBillingRouter (deps: BillingRouterDeps): OpenAPIHono<CpEnv> {
  if (deps?.store?.billing === undefined) throw new TypeError('createBillingRouter: store with a billing repository is required')
  if (typeof deps.requireScope !== 'function') throw new TypeError('createBillingRouter: requireScope is required')
  if (typeof deps.now !== 'function') throw new TypeError('createBillingRouter: now must be a function returning epoch ms')
  if (typeof deps.log?.info !== 'function' || typeof deps.log.warn !== 'function') throw new TypeError('createBillingRouter: log must have info and warn')
  if (deps.payments !== undefined && typeof deps.payments?.createPaymentLink !== 'function') {
    throw new TypeError('createBillingRouter: payments must be a PaymentProvider (createStripeProvider) or absent')
  }
  const claimMs = deps.paymentLinkClaimMs
  if (claimMs !== undefined && (!Number.isInteger(claimMs) || claimMs < 1000)) throw new TypeError('createBillingRouter: paymentLinkClaimMs must be an integer ≥ 1000')
  const app = createRouter()
  registerRateRoutes(app, deps)
  registerInvoiceRoutes(app, deps)
  registerUsageRoutes(app, deps)
  return app
}
