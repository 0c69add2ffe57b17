import type { Invoice, InvoiceLine, InvoiceStatus, RateRecord } from '../billing-repository.ts'
import { numOrNull, strOrNull } from './cells.ts'

/** Row → record mappers for the billing tables, shared by both engines (same columns). */

type Row = Record<string, unknown>

const num = (x: unknown): number => Number(x)

export function toRate (r: Row): RateRecord {
  return { gpuType: String(r.gpu_type), centsPerGpuHour: num(r.cents_per_gpu_hour), updatedAt: num(r.updated_at) }
}

interface StoredLine { gpu_type: string | null, gpu_seconds: number, gpu_ms?: number, cents_per_gpu_hour: number | null, amount_cents: number | null }

function toLines (text: unknown): InvoiceLine[] {
  const parsed = JSON.parse(String(text)) as StoredLine[]
  return parsed.map(l => ({
    gpuType: l.gpu_type,
    // Rows written before total_gpu_ms existed carry seconds only.
    gpuMs: l.gpu_ms ?? Math.round(l.gpu_seconds * 1000),
    centsPerGpuHour: l.cents_per_gpu_hour,
    amountCents: l.amount_cents,
  }))
}

export function toInvoice (r: Row): Invoice {
  return {
    id: num(r.id),
    tenantId: numOrNull(r.tenant_id),
    tenantName: String(r.tenant_name ?? ''),
    periodStart: num(r.period_start),
    periodEnd: num(r.period_end),
    days: num(r.days),
    totalGpuMs: r.total_gpu_ms === null ? num(r.total_gpu_seconds) * 1000 : num(r.total_gpu_ms),
    unpricedGpuMs: num(r.unpriced_gpu_ms),
    amountCents: num(r.amount_cents),
    currency: String(r.currency),
    status: String(r.status) as InvoiceStatus,
    lineItems: toLines(r.line_items),
    paymentProvider: strOrNull(r.payment_provider),
    paymentLinkId: strOrNull(r.payment_link_id),
    paymentUrl: strOrNull(r.stripe_payment_url),
    paymentLinkError: strOrNull(r.payment_link_error),
    paymentLinkAttempts: num(r.payment_link_attempts),
    createdAt: num(r.created_at),
    statusChangedAt: numOrNull(r.status_changed_at),
  }
}

export function linesJson (lines: readonly InvoiceLine[]): string {
  return JSON.stringify(lines.map(l => ({
    gpu_type: l.gpuType, gpu_seconds: l.gpuMs / 1000, gpu_ms: l.gpuMs, cents_per_gpu_hour: l.centsPerGpuHour, amount_cents: l.amountCents,
  })))
}
