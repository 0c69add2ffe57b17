import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { CpEnv } from '../http/cp-env.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { InvoiceStatus } from '../store/billing-repository.ts'
import type { BillingRouterDeps } from './billing-router-deps.ts'
import {
  DEFAULT_DAYS, billingSummarySchema, daysQuerySchema, invoiceIdParamSchema, invoiceSchema, issuedInvoiceSchema, statusBodySchema, tenantIdParamSchema,
} from '../../shared/wire/billing-schemas.ts'
import { issueInvoice } from './issue-invoice.ts'
import { dollars } from './money.ts'
import { hours, invoiceJson } from './render-billing.ts'
import { summarizeInvoices } from './summarize-invoices.ts'
import { denyTenantKeys, visibleTenant } from './tenant-access.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * Which status an invoice may move to from which: paid is final (a refund is a new document,
 * not an edit); overdue may go back to pending (a due date extended).
 */
const ALLOWED_FROM: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  paid: ['pending', 'overdue'],
  overdue: ['pending'],
  pending: ['overdue'],
}

const RECENT_INVOICES = 20

/** Seed 003 "Billing": invoice a tenant (idempotent per period), billing summary, invoice status; plus reading one invoice. */
export function registerInvoiceRoutes (app: OpenAPIHono<CpEnv>, deps: BillingRouterDeps): void {
  const { store, requireScope, now, log } = deps
  const issueDeps = { billing: store.billing, now, log, payments: deps.payments, paymentLinkClaimMs: deps.paymentLinkClaimMs ?? 120_000 }

  app.openapi(createRoute({
    method: 'post', path: '/api/tenants/{id}/invoice', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Bill a tenant for the `days` whole UTC days before today ([00:00 UTC today − days, 00:00 UTC today)) and make a ' +
      'payment link. GPU time inside an earlier invoice\'s period is left out (never billed twice; those invoices are listed in ' +
      'overlapping_invoice_ids); a period wholly billed already is 409 INVOICE_PERIOD_BILLED. A deleted tenant can still be billed for ' +
      'its GPU time up to the delete. Idempotent: every call on the same UTC day names the same period and returns the invoice already ' +
      'made for it (200, created: false), whatever its status. Amounts: per GPU type and UTC day, round-half-up(GPU-ms × cents per GPU-hour ÷ 3 600 000). ' +
      'Without a payment provider, or when the provider fails, the invoice is still made (payment_url null; payment_link says why) ' +
      'and the next call retries the link. Admin scope; a tenant-bound key may invoice only its own tenant.',
    request: { params: tenantIdParamSchema, query: daysQuerySchema },
    responses: {
      200: json(issuedInvoiceSchema, 'The invoice already made for this period'),
      201: json(issuedInvoiceSchema, 'Invoice created'),
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const days = Number(c.req.valid('query').days ?? DEFAULT_DAYS)
    const tenant = await visibleTenant(store.billing, c.get('principal'), id)
    const issued = await issueInvoice(issueDeps, tenant, days)
    const invoice = invoiceJson(issued.invoice)
    return c.json({
      invoice,
      total_gpu_hours: hours(issued.invoice.totalGpuMs),
      total_amount: dollars(issued.invoice.amountCents),
      payment_url: issued.invoice.paymentUrl,
      line_items: invoice.line_items,
      created: issued.created,
      payment_link: issued.paymentLink,
      overlapping_invoice_ids: issued.overlapping,
    }, issued.created ? 201 : 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/invoices/{id}', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'One invoice with its line items. A tenant-bound key sees only its own tenant\'s invoices (others 404).',
    request: { params: invoiceIdParamSchema },
    responses: { 200: json(invoiceSchema, 'The invoice'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const invoice = await store.billing.getInvoice(id)
    const tenantId = c.get('principal').tenantId
    if (invoice === null || (tenantId !== null && invoice.tenantId !== tenantId)) throw invoiceNotFound(id)
    return c.json(invoiceJson(invoice), 200)
  })

  app.openapi(createRoute({
    method: 'patch', path: '/api/invoices/{id}/status', tags: ['billing'], security: API_KEY_SECURITY,
    middleware: [requireScope('admin'), denyTenantKeys('change invoice status')] as const,
    description: 'Mark an invoice paid, pending or overdue (seed 003). pending → paid|overdue, overdue → paid|pending; paid is final ' +
      '(409 INVOICE_STATUS_CONFLICT). Setting the current status again is a no-op (200). Admin scope; tenant-bound keys are refused (403).',
    request: { params: invoiceIdParamSchema, body: { required: true, content: { 'application/json': { schema: statusBodySchema } } } },
    responses: { 200: json(invoiceSchema, 'The invoice after the change'), ...errorResponses(400, 401, 403, 404, 409, 415) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const { status } = c.req.valid('json')
    const change = await store.billing.setInvoiceStatus(id, status, ALLOWED_FROM[status], now())
    if (change.kind === 'not-found') throw invoiceNotFound(id)
    if (change.kind === 'refused') {
      throw httpError('INVOICE_STATUS_CONFLICT', `invoice ${id} is ${change.invoice.status} and cannot become ${status}`,
        { status: change.invoice.status, allowed_from: [...ALLOWED_FROM[status]] })
    }
    if (change.kind === 'updated') log.info({ invoiceId: id, from: change.from, to: status, keyId: c.get('principal').keyId }, 'invoice status changed')
    return c.json(invoiceJson(change.invoice), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/billing/summary', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Billing KPIs (seed 003): total invoiced, paid, pending, overdue (amount and count), per-tenant breakdown, and the ' +
      'last 20 invoices, newest first. A tenant-bound key sees only its own tenant.',
    responses: { 200: json(billingSummarySchema, 'Summary'), ...errorResponses(401, 403) },
  }), async c => {
    const tenantId = c.get('principal').tenantId ?? undefined
    const [totals, recent] = await Promise.all([
      store.billing.invoiceTotals({ tenantId }),
      store.billing.listInvoices({ tenantId, limit: RECENT_INVOICES }),
    ])
    const s = summarizeInvoices(totals)
    return c.json({
      currency: 'usd',
      ...s.overall,
      per_tenant: s.perTenant,
      recent_invoices: recent.map(invoiceJson),
    }, 200)
  })

}

function invoiceNotFound (id: number): HttpError {
  return httpError('INVOICE_NOT_FOUND', `no invoice with id ${id}`)
}
