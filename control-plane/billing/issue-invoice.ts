import { InvoiceOverlapChanged, type BillingRepository, type Invoice, type InvoiceLine, type MeteredInterval, type TenantRef } from '../store/billing-repository.ts'
import { httpError } from '../../shared/error-codes.ts'
import { invoicePeriod, type BillingWindow } from './billing-windows.ts'
import { meterUsage } from './meter-usage.ts'
import { PaymentProviderError, type PaymentProvider } from './payment-provider.ts'
import { uncoveredRanges, type Range } from './uncovered-ranges.ts'
import { utcDate } from './utc-days.ts'
import type { Logger } from '../../shared/logger.ts'

export type BillingLogger = Pick<Logger, 'info' | 'warn'>

export interface IssueInvoiceDeps {
  billing: BillingRepository
  now: () => number
  log: BillingLogger
  payments?: PaymentProvider | undefined
  /** A payment-link attempt older than this is presumed dead (crash) and may be retried. */
  paymentLinkClaimMs: number
}

export interface PaymentLinkOutcome {
  created: boolean
  provider: string | null
  url: string | null
  reason: string | null
  error: { code: string, message: string } | null
}

export interface IssuedInvoice {
  invoice: Invoice
  created: boolean
  paymentLink: PaymentLinkOutcome
  /**
   * Other invoices of the tenant whose periods overlap this one. For a new invoice these are
   * the earlier ones whose covered time it left out (never billed twice).
   */
  overlapping: number[]
}

const CURRENCY = 'usd'

/** Tries to make the invoice again when another one overlapping the period was made meanwhile. */
const OVERLAP_RETRIES = 3

/**
 * Bills `tenant` for the `days` whole UTC days before today (invoicePeriod), except time an
 * earlier invoice of the tenant covers: overlapping periods never bill a GPU-second twice, and
 * a period wholly billed already is refused (409 INVOICE_PERIOD_BILLED). Idempotent: the
 * period depends only on today's UTC date, and the store returns the invoice already made for
 * it, whatever its status, unchanged. The invoice is stored first and the payment link made
 * after, so a provider failure never loses the invoice: it stays without a URL, the error is
 * reported and kept, and the next call for the period tries the link again. A deleted
 * tenant (tenant.deletedAt) is billed the same way, for its GPU time up to the delete.
 */
export async function issueInvoice (deps: IssueInvoiceDeps, tenant: TenantRef, days: number): Promise<IssuedInvoice> {
  const at = deps.now()
  const period = invoicePeriod(at, days)
  for (let attempt = 1; ; attempt++) {
    try {
      return await issueOnce(deps, tenant, period, at)
    } catch (err) {
      if (!(err instanceof InvoiceOverlapChanged)) throw err
      // Other invoices of the tenant kept landing in the period: a conflict to retry, not a fault.
      if (attempt >= OVERLAP_RETRIES) throw httpError('INVOICES_CHANGED', `tenant ${tenant.id}'s invoices for the period kept changing; retry`)
    }
  }
}

async function issueOnce (deps: IssueInvoiceDeps, tenant: TenantRef, period: BillingWindow, at: number): Promise<IssuedInvoice> {
  const { billing } = deps
  const sameTenant = await billing.listInvoices({ tenantId: tenant.id, overlapping: { start: period.start, end: period.end } })
  let result = sameTenant.find(i => i.periodStart === period.start && i.periodEnd === period.end)
  let created = false
  if (result === undefined) {
    const billable = uncoveredRanges(period, sameTenant.map(i => ({ start: i.periodStart, end: i.periodEnd })))
    const prior = sameTenant.map(i => i.id).sort((a, b) => a - b)
    if (billable.length === 0) {
      throw httpError('INVOICE_PERIOD_BILLED', `tenant ${tenant.id}'s GPU time from ${utcDate(period.start)} to ${utcDate(period.end - 1)} is billed already`,
        { invoice_ids: prior })
    }
    const [rates, intervals] = await Promise.all([
      billing.listRates(),
      billing.meterIntervals({ from: period.start, to: period.end, now: at, tenantId: tenant.id }),
    ])
    const lines = meterUsage(clipTo(intervals, billable), rates)
    const lineItems: InvoiceLine[] = lines.map(l => ({ gpuType: l.gpuType, gpuMs: l.gpuMs, centsPerGpuHour: l.centsPerGpuHour, amountCents: l.amountCents }))
    const made = await billing.createInvoice({
      tenantId: tenant.id,
      tenantName: tenant.name,
      periodStart: period.start,
      periodEnd: period.end,
      days: period.days,
      totalGpuMs: lines.reduce((s, l) => s + l.gpuMs, 0),
      unpricedGpuMs: lines.reduce((s, l) => s + (l.amountCents === null ? l.gpuMs : 0), 0),
      amountCents: lines.reduce((s, l) => s + (l.amountCents ?? 0), 0),
      currency: CURRENCY,
      lineItems,
      createdAt: at,
      priorInvoiceIds: prior,
    })
    result = made.invoice
    created = made.created
    if (created) {
      deps.log.info({ invoiceId: result.id, tenantId: tenant.id, periodStart: period.start, days: period.days, amountCents: result.amountCents, excludedInvoiceIds: prior },
        'invoice created')
    }
  }
  const invoice = result
  const { invoice: final, outcome } = await ensurePaymentLink(deps, invoice)
  return { invoice: final, created, paymentLink: outcome, overlapping: sameTenant.filter(i => i.id !== invoice.id).map(i => i.id).sort((a, b) => a - b) }
}

/** The parts of each interval inside `ranges` (sorted, disjoint). */
function clipTo (intervals: readonly MeteredInterval[], ranges: readonly Range[]): MeteredInterval[] {
  const out: MeteredInterval[] = []
  for (const iv of intervals) {
    for (const r of ranges) {
      const start = Math.max(iv.start, r.start)
      const end = Math.min(iv.end, r.end)
      if (end > start) out.push({ ...iv, start, end })
    }
  }
  return out
}

const none = (provider: string | null, reason: string, error: PaymentLinkOutcome['error'] = null): PaymentLinkOutcome =>
  ({ created: false, provider, url: null, reason, error })

async function ensurePaymentLink (deps: IssueInvoiceDeps, invoice: Invoice): Promise<{ invoice: Invoice, outcome: PaymentLinkOutcome }> {
  const { payments, billing } = deps
  if (invoice.paymentUrl !== null) {
    return { invoice, outcome: { created: false, provider: invoice.paymentProvider, url: invoice.paymentUrl, reason: null, error: null } }
  }
  if (payments === undefined) return { invoice, outcome: none(null, 'no payment provider configured') }
  if (invoice.status === 'paid') return { invoice, outcome: none(payments.name, 'invoice is paid') }
  if (invoice.amountCents === 0) return { invoice, outcome: none(payments.name, 'nothing to pay') }
  if (invoice.amountCents < payments.minimumAmountCents) {
    return { invoice, outcome: none(payments.name, `amount below the provider's minimum of ${payments.minimumAmountCents} cents`) }
  }
  const at = deps.now()
  const attempt = await billing.claimPaymentLink(invoice.id, at, at - deps.paymentLinkClaimMs)
  if (attempt === null) {
    // Another request holds the claim (or just finished): report what the store has now.
    const current = (await billing.getInvoice(invoice.id)) ?? invoice
    if (current.paymentUrl !== null) {
      return { invoice: current, outcome: { created: false, provider: current.paymentProvider, url: current.paymentUrl, reason: null, error: null } }
    }
    return { invoice: current, outcome: none(payments.name, 'a payment link is being created by another request') }
  }
  try {
    const link = await payments.createPaymentLink({
      invoiceId: invoice.id,
      tenantName: invoice.tenantName,
      amountCents: invoice.amountCents,
      currency: invoice.currency,
      description: `GPU usage ${invoice.tenantName} ${utcDate(invoice.periodStart)} to ${utcDate(invoice.periodEnd - 1)} (invoice ${invoice.id})`,
      idempotencyKey: `gpufleet-invoice-${invoice.id}-attempt-${attempt}`,
    })
    const stored = await billing.recordPaymentLink(invoice.id, { provider: payments.name, linkId: link.id, url: link.url })
    deps.log.info({ invoiceId: invoice.id, provider: payments.name, linkId: link.id }, 'payment link created')
    return { invoice: stored, outcome: { created: true, provider: payments.name, url: link.url, reason: null, error: null } }
  } catch (err) {
    const code = err instanceof PaymentProviderError ? err.code : 'PAYMENT_PROVIDER_FAILED'
    const message = err instanceof Error ? err.message : String(err)
    deps.log.warn({ invoiceId: invoice.id, provider: payments.name, attempt, code, err: { message } }, 'payment link failed; invoice kept without one')
    const stored = await billing.recordPaymentLinkFailure(invoice.id, payments.name, message)
    return { invoice: stored, outcome: none(payments.name, 'payment provider failed', { code, message }) }
  }
}
