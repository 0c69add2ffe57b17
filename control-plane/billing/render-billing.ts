import type { Invoice, InvoiceLine, RateRecord } from '../store/billing-repository.ts'
import { dollars, dollarsOrNull } from './money.ts'
import type { TypeTotal } from './summarize-usage.ts'

/** Store records → seed 003's snake_case JSON: cents become dollars, ms become seconds/hours and ISO 8601, here at the edge. */

export const seconds = (ms: number): number => ms / 1000
/** Three decimals (3.6 s): enough for a display figure; money is computed from exact ms. */
export const hours = (ms: number): number => Math.round(ms / 3600) / 1000
export const iso = (ms: number): string => new Date(ms).toISOString()
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

export function rateJson (r: RateRecord) {
  return {
    gpu_type: r.gpuType,
    price_per_hour: dollars(r.centsPerGpuHour),
    cents_per_gpu_hour: r.centsPerGpuHour,
    currency: 'usd',
    updated_at: r.updatedAt === 0 ? null : iso(r.updatedAt),
  }
}

export function typeTotalJson (t: TypeTotal | InvoiceLine) {
  return {
    gpu_type: t.gpuType,
    priced: t.centsPerGpuHour !== null,
    price_per_hour: dollarsOrNull(t.centsPerGpuHour),
    cents_per_gpu_hour: t.centsPerGpuHour,
    gpu_seconds: seconds(t.gpuMs),
    gpu_hours: hours(t.gpuMs),
    amount: dollarsOrNull(t.amountCents),
    amount_cents: t.amountCents,
  }
}

export function invoiceJson (i: Invoice) {
  return {
    id: i.id,
    tenant_id: i.tenantId,
    tenant_name: i.tenantName,
    status: i.status,
    period_start: iso(i.periodStart),
    period_end: iso(i.periodEnd),
    days: i.days,
    total_gpu_seconds: seconds(i.totalGpuMs),
    total_gpu_hours: hours(i.totalGpuMs),
    unpriced_gpu_seconds: seconds(i.unpricedGpuMs),
    amount: dollars(i.amountCents),
    amount_cents: i.amountCents,
    currency: i.currency,
    line_items: i.lineItems.map(typeTotalJson),
    payment_provider: i.paymentProvider,
    payment_link_id: i.paymentLinkId,
    stripe_payment_url: i.paymentUrl,
    payment_link_error: i.paymentLinkError,
    created_at: iso(i.createdAt),
    status_changed_at: isoOrNull(i.statusChangedAt),
  }
}

export function countedMoneyJson (cents: number, count: number) {
  return { amount: dollars(cents), amount_cents: cents, count }
}
