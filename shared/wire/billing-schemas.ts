import { z } from '@hono/zod-openapi'
import { INVOICE_STATUSES } from './enums.ts'

/** Request and response schemas of the billing routes (they also document /openapi.json). */

export const MAX_DAYS = 90
export const DEFAULT_DAYS = 30
/** $100 000 per GPU-hour: anything above is a typo, not a price. */
export const MAX_CENTS_PER_GPU_HOUR = 10_000_000

const idParam = (name: string) => z.string()
  // Digits only (no "1e3", "0x1"); 15 digits keeps it a safe integer.
  .regex(/^[0-9]{1,15}$/, 'must be a positive integer id')
  .openapi({ param: { name, in: 'path' }, example: '1' })

export const tenantIdParamSchema = z.object({ id: idParam('id') })
export const invoiceIdParamSchema = z.object({ id: idParam('id') })

export const gpuTypeParamSchema = z.object({
  gpu_type: z.string().max(32)
    .regex(/^[A-Za-z0-9]+(?:[ ._-][A-Za-z0-9]+)*$/, 'must be letters and digits, optionally joined by single spaces, dots, dashes or underscores (e.g. H100, RTX 6000)')
    .openapi({ param: { name: 'gpu_type', in: 'path' }, description: 'Rate key matched as a whole token in GPU model names, case-insensitive', example: 'H100' }),
})

export const daysQuerySchema = z.object({
  days: z.string()
    .regex(/^[0-9]{1,2}$/, 'must be an integer from 1 to 90')
    .refine(s => Number(s) >= 1 && Number(s) <= MAX_DAYS, 'must be an integer from 1 to 90')
    .optional()
    .openapi({ param: { name: 'days', in: 'query' }, description: 'Window in UTC days, 1–90 (default 30)', example: '30' }),
})

const hasWholeCents = (x: number): boolean => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6

export const putRateBodySchema = z.object({
  price_per_hour: z.number().min(0).max(MAX_CENTS_PER_GPU_HOUR / 100)
    .refine(hasWholeCents, 'must be dollars with at most 2 decimals (whole cents)').optional()
    .openapi({ description: 'Dollars per GPU-hour', example: 4.76 }),
  cents_per_gpu_hour: z.number().int().min(0).max(MAX_CENTS_PER_GPU_HOUR).optional()
    .openapi({ description: 'The same price in integer cents; give one of the two', example: 476 }),
}).strict().refine(b => (b.price_per_hour === undefined) !== (b.cents_per_gpu_hour === undefined), {
  message: 'give exactly one of price_per_hour or cents_per_gpu_hour',
})

export const statusBodySchema = z.object({
  status: z.enum(INVOICE_STATUSES).openapi({ example: 'paid' }),
}).strict()

export const rateSchema = z.object({
  gpu_type: z.string().openapi({ example: 'H100' }),
  price_per_hour: z.number().openapi({ description: 'Dollars per GPU-hour', example: 4.76 }),
  cents_per_gpu_hour: z.number().int().openapi({ example: 476 }),
  currency: z.string().openapi({ example: 'usd' }),
  updated_at: z.string().nullable().openapi({ description: 'null for the seeded card' }),
}).openapi('Rate')

const money = {
  amount: z.number().openapi({ description: 'Dollars', example: 8770.25 }),
  amount_cents: z.number().int().openapi({ example: 877025 }),
}

export const lineItemSchema = z.object({
  gpu_type: z.string().nullable().openapi({ description: 'Rate key; for unpriced usage the GPU model name (null: unknown model)' }),
  priced: z.boolean(),
  gpu_seconds: z.number(),
  gpu_hours: z.number(),
  price_per_hour: z.number().nullable(),
  cents_per_gpu_hour: z.number().int().nullable(),
  amount: z.number().nullable(),
  amount_cents: z.number().int().nullable(),
}).openapi('InvoiceLineItem')

export const invoiceSchema = z.object({
  id: z.number().int().openapi({ example: 7 }),
  tenant_id: z.number().int().nullable(),
  tenant_name: z.string(),
  status: z.enum(INVOICE_STATUSES),
  period_start: z.string(),
  period_end: z.string().openapi({ description: 'Exclusive' }),
  days: z.number().int(),
  total_gpu_seconds: z.number(),
  total_gpu_hours: z.number(),
  unpriced_gpu_seconds: z.number(),
  ...money,
  currency: z.string(),
  line_items: z.array(lineItemSchema),
  payment_provider: z.string().nullable(),
  payment_link_id: z.string().nullable(),
  stripe_payment_url: z.string().nullable(),
  payment_link_error: z.string().nullable(),
  created_at: z.string(),
  status_changed_at: z.string().nullable(),
}).openapi('Invoice')

export const paymentLinkOutcomeSchema = z.object({
  created: z.boolean().openapi({ description: 'This call made the link' }),
  provider: z.string().nullable(),
  url: z.string().nullable(),
  reason: z.string().nullable().openapi({ description: 'Why there is no link', example: 'no payment provider configured' }),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
}).openapi('PaymentLinkOutcome')

export const issuedInvoiceSchema = z.object({
  invoice: invoiceSchema,
  total_gpu_hours: z.number().openapi({ example: 1842.5 }),
  total_amount: z.number().openapi({ example: 8770.25 }),
  payment_url: z.string().nullable(),
  line_items: z.array(lineItemSchema),
  created: z.boolean().openapi({ description: 'false: the invoice for this period already existed and is returned unchanged' }),
  payment_link: paymentLinkOutcomeSchema,
  overlapping_invoice_ids: z.array(z.number().int()).openapi({ description: "This tenant's other invoices whose periods overlap this one; a new invoice leaves their time out (never billed twice)" }),
}).openapi('IssuedInvoice')

const windowSchema = z.object({ start: z.string(), end: z.string() })

const typeTotal = z.object({
  gpu_type: z.string().nullable(),
  priced: z.boolean(),
  price_per_hour: z.number().nullable(),
  cents_per_gpu_hour: z.number().int().nullable(),
  gpu_seconds: z.number(),
  gpu_hours: z.number(),
  amount: z.number().nullable(),
  amount_cents: z.number().int().nullable(),
})

export const usageSchema = z.object({
  tenant_id: z.number().int(),
  tenant_name: z.string(),
  days: z.number().int(),
  window: windowSchema,
  currency: z.string(),
  total_gpu_seconds: z.number(),
  total_gpu_hours: z.number(),
  unpriced_gpu_seconds: z.number(),
  total_amount: z.number(),
  total_amount_cents: z.number().int(),
  by_gpu_type: z.array(typeTotal),
  by_day: z.array(z.object({
    date: z.string().openapi({ example: '2026-05-09' }),
    gpu_seconds: z.number(),
    gpu_hours: z.number(),
    amount: z.number(),
    amount_cents: z.number().int(),
    by_gpu_type: z.array(typeTotal),
  })),
  events: z.array(z.object({
    job_id: z.number().int(),
    job_name: z.string(),
    gpu_type: z.string().nullable(),
    gpu_model: z.string().nullable(),
    gpu_count: z.number().int(),
    start: z.string(),
    end: z.string(),
    running: z.boolean(),
    gpu_seconds: z.number(),
    gpu_hours: z.number(),
    cost: z.number().nullable(),
    cost_cents: z.number().int().nullable(),
  })),
  events_truncated: z.boolean(),
}).openapi('TenantUsage')

const countedMoney = z.object({ ...money, count: z.number().int() })

export const billingSummarySchema = z.object({
  currency: z.string(),
  total_invoiced: countedMoney,
  paid: countedMoney,
  pending: countedMoney,
  overdue: countedMoney,
  per_tenant: z.array(z.object({
    tenant_id: z.number().int().nullable(),
    tenant_name: z.string().nullable(),
    total_invoiced: countedMoney,
    paid: countedMoney,
    pending: countedMoney,
    overdue: countedMoney,
  })),
  recent_invoices: z.array(invoiceSchema),
}).openapi('BillingSummary')

const revenueMoney = {
  gpu_hours: z.number(),
  revenue: z.number().openapi({ description: 'Dollars: metered usage × current rates' }),
  revenue_cents: z.number().int(),
}

export const revenueSchema = z.object({
  days: z.number().int(),
  window: windowSchema,
  currency: z.string(),
  total_revenue: z.number(),
  total_revenue_cents: z.number().int(),
  total_gpu_hours: z.number(),
  unpriced_gpu_hours: z.number(),
  invoiced: countedMoney.openapi({ description: 'Invoices created in the window' }),
  per_tenant: z.array(z.object({
    tenant_id: z.number().int(),
    tenant_name: z.string(),
    ...revenueMoney,
    unpriced_gpu_hours: z.number(),
    invoiced: countedMoney,
  })),
  by_gpu_type: z.array(z.object({
    gpu_type: z.string().nullable(),
    priced: z.boolean(),
    price_per_hour: z.number().nullable(),
    gpu_hours: z.number(),
    revenue: z.number().nullable(),
    revenue_cents: z.number().int().nullable(),
  })),
  daily_trend: z.array(z.object({ date: z.string(), ...revenueMoney })),
  unattributed: z.object({ ...revenueMoney, unpriced_gpu_hours: z.number() }).openapi({ description: 'Usage of jobs without a tenant (not billable)' }),
}).openapi('Revenue')
