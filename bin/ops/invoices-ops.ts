import type { FleetOp } from '../fleet-action.ts'
import type { Invoice } from '../../shared/sdk/control-plane-types.ts'
import { INVOICE_STATUSES } from '../../shared/wire/enums.ts'
import { daysOf, oneOf, positiveInt, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

function describe (i: Invoice): string {
  const money = (x: number | null) => x === null ? '-' : `${x.toFixed(2)} ${i.currency.toUpperCase()}`
  const lines = [
    `invoice ${i.id}  ${i.tenantName}${i.tenantId === null ? '' : ` (tenant ${i.tenantId})`}`,
    `status      ${i.status}${i.statusChangedAt === null ? '' : ` since ${i.statusChangedAt}`}`,
    `period      ${i.periodStart.slice(0, 10)}..${i.periodEnd.slice(0, 10)} (${i.days} days, end exclusive)`,
    `amount      ${money(i.amount)} for ${i.totalGpuHours} GPU hours`,
    `payment     ${i.stripePaymentUrl ?? i.paymentLinkError ?? '-'}`,
  ]
  const items = i.lineItems.length === 0 ? '' : `\n${formatTable(i.lineItems, [
    ['GPU TYPE', l => l.gpuType], ['PRICED', l => l.priced ? 'yes' : 'NO'], ['RATE', l => l.pricePerHour], ['GPU HOURS', l => l.gpuHours], ['AMOUNT', l => money(l.amount)],
  ])}`
  return `${lines.join('\n')}\n${items}`
}

/** Idempotent per tenant and period: the same period answers the invoice it already has. */
export const createInvoice: FleetOp = async (ctx, [tenant], o) => {
  const days = daysOf(o.days)
  const issued = await ctx.controlPlane().createInvoice(positiveInt(tenant, 'tenant id') ?? 0, days === undefined ? {} : { days })
  ctx.print(issued, () => `${issued.created ? 'created' : 'already issued for this period:'} ${describe(issued.invoice)}`)
}

export const showInvoice: FleetOp = async (ctx, [id]) => {
  const invoice = await ctx.controlPlane().getInvoice(positiveInt(id, 'invoice id') ?? 0)
  ctx.print(invoice, () => describe(invoice))
}

export const setInvoiceStatus: FleetOp = async (ctx, [id, status]) => {
  const invoiceId = positiveInt(id, 'invoice id') ?? 0
  const next = oneOf(status, INVOICE_STATUSES, 'STATUS')
  if (next === undefined) throw usageError(`STATUS must be one of ${INVOICE_STATUSES.join(', ')}`)
  const invoice = await ctx.controlPlane().setInvoiceStatus(invoiceId, next)
  ctx.print(invoice, () => `invoice ${invoice.id} ${invoice.status}\n`)
}
