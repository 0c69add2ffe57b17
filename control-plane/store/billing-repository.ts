import type { InvoiceStatus } from '../../shared/wire/enums.ts'
/**
 * Billing storage: the rate card, metered GPU intervals (read from the scheduling domain's
 * jobs/job_gpus), and invoices. Async so SQLite and PostgreSQL serve the same interface.
 * Times are UTC epoch milliseconds, money integer cents, GPU time integer milliseconds.
 * Pricing, rounding and the transition rules live in control-plane/billing; the repository
 * stores what it is given and makes the check-and-set steps atomic.
 */

export interface RateRecord {
  /** Upper-case rate key matched against GPU model names (control-plane/match-rate.ts). */
  gpuType: string
  centsPerGpuHour: number
  /** 0 for the seeded card. */
  updatedAt: number
}

export interface TenantRef {
  id: number
  name: string
  /** Set for a deleted tenant (deleted_tenants): its usage up to then can still be billed. */
  deletedAt?: number | undefined
}

/** One job_gpus row clipped to a window: GPU time a job held one GPU. */
export interface MeteredInterval {
  /**
   * null: the job has no tenant. A deleted tenant's job keeps its id up to the delete; time
   * after the delete (a job that kept running) is null.
   */
  tenantId: number | null
  jobId: number
  jobName: string
  gpuId: number
  /** Copied at assignment; null when the GPU reported none. */
  gpuModel: string | null
  /** max(assigned_at, from) */
  start: number
  /** min(released_at ?? now, to); always > start. */
  end: number
  /** Still assigned at `now` (released_at is null). */
  running: boolean
}

export interface IntervalQuery {
  /** Inclusive. */
  from: number
  /** Exclusive. */
  to: number
  /** Open assignments count up to here. */
  now: number
  tenantId?: number | undefined
}

export { INVOICE_STATUSES, type InvoiceStatus } from '../../shared/wire/enums.ts'

export interface InvoiceLine {
  /** Rate key, or the raw model name when no rate matched (null: model unknown). */
  gpuType: string | null
  gpuMs: number
  /** null: unpriced (no rate matched); such lines add nothing to the amount. */
  centsPerGpuHour: number | null
  amountCents: number | null
}

export interface NewInvoice {
  tenantId: number
  /** Snapshot, so the invoice still names its tenant if the tenant is deleted later. */
  tenantName: string
  periodStart: number
  periodEnd: number
  days: number
  totalGpuMs: number
  unpricedGpuMs: number
  amountCents: number
  currency: string
  lineItems: InvoiceLine[]
  createdAt: number
  /**
   * The tenant's earlier invoices whose periods the caller left out of this one (their GPU
   * time is billed already). When given, the store creates the invoice only if these are still
   * exactly the tenant's invoices overlapping the period, else throws InvoiceOverlapChanged.
   */
  priorInvoiceIds?: readonly number[] | undefined
}

/** Another invoice overlapping the period was made meanwhile: meter again and retry. */
export class InvoiceOverlapChanged extends Error {
  readonly code = 'INVOICE_OVERLAP_CHANGED'
  constructor (tenantId: number) {
    super(`tenant ${tenantId}'s invoices overlapping the period changed while this one was computed`)
  }
}

export interface Invoice extends Omit<NewInvoice, 'tenantId' | 'priorInvoiceIds'> {
  id: number
  /** null once the tenant was deleted (see unlinkTenant). */
  tenantId: number | null
  status: InvoiceStatus
  paymentProvider: string | null
  paymentLinkId: string | null
  paymentUrl: string | null
  /** The last failed attempt's message; cleared when a link is made. */
  paymentLinkError: string | null
  paymentLinkAttempts: number
  statusChangedAt: number | null
}

export interface InvoiceQuery {
  /** The tenant billed, deleted or not (billed_tenant_id). */
  tenantId?: number | undefined
  /** created_at >= createdFrom */
  createdFrom?: number | undefined
  /** created_at < createdTo */
  createdTo?: number | undefined
  /** Only invoices whose period overlaps [start, end). */
  overlapping?: { start: number, end: number } | undefined
  /** Newest first; default 1000. */
  limit?: number | undefined
}

export interface StatusTotal {
  tenantId: number | null
  tenantName: string | null
  status: InvoiceStatus
  count: number
  amountCents: number
}

export type StatusChange =
  | { kind: 'not-found' }
  | { kind: 'unchanged', invoice: Invoice }
  | { kind: 'updated', invoice: Invoice, from: InvoiceStatus }
  /** The current status is not among `from`. */
  | { kind: 'refused', invoice: Invoice }

export interface BillingRepository {
  listRates: () => Promise<RateRecord[]>
  /** Insert or replace one rate; `gpuType` is stored as given (callers upper-case it). */
  putRate: (gpuType: string, centsPerGpuHour: number, at: number) => Promise<{ rate: RateRecord, created: boolean }>

  /** A live tenant, else a deleted one (deletedAt set), else null. */
  getTenant: (id: number) => Promise<TenantRef | null>
  listTenants: () => Promise<TenantRef[]>

  /** job_gpus rows overlapping [from, to), clipped to it; open rows end at min(now, to). */
  meterIntervals: (q: IntervalQuery) => Promise<MeteredInterval[]>

  /**
   * The invoice for (tenant, period) if one exists, whatever its status; otherwise inserts
   * `input` as pending (after the priorInvoiceIds check). Atomic: concurrent calls for one
   * period yield one invoice. Keyed by billed_tenant_id, so a deleted tenant (tenant_id null
   * on its invoices) is billed and looked up the same way.
   */
  createInvoice: (input: NewInvoice) => Promise<{ invoice: Invoice, created: boolean }>
  getInvoice: (id: number) => Promise<Invoice | null>
  listInvoices: (q?: InvoiceQuery) => Promise<Invoice[]>
  /** Count and amount per (tenant, status), optionally of invoices created in [createdFrom, createdTo). */
  invoiceTotals: (q?: Pick<InvoiceQuery, 'tenantId' | 'createdFrom' | 'createdTo'>) => Promise<StatusTotal[]>
  /** Sets `to` only if the current status is in `from` (or already `to`). */
  setInvoiceStatus: (id: number, to: InvoiceStatus, from: readonly InvoiceStatus[], at: number) => Promise<StatusChange>

  /**
   * Claims the right to create this invoice's payment link: succeeds (returning the attempt
   * number) if it has no link and no claim newer than `staleBefore`. One caller wins, so
   * concurrent requests never create two links.
   */
  claimPaymentLink: (id: number, at: number, staleBefore: number) => Promise<number | null>
  recordPaymentLink: (id: number, link: { provider: string, linkId: string, url: string }) => Promise<Invoice>
  /** Releases the claim and keeps the error for the next caller to see. */
  recordPaymentLinkFailure: (id: number, provider: string, message: string) => Promise<Invoice>

  /**
   * For tenant deletion (the scheduling domain calls it first): invoices keep their
   * tenant_name snapshot and drop the reference, so the delete does not hit the foreign key.
   */
  unlinkTenant: (tenantId: number) => Promise<number>
}
