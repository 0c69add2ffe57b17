import type { FleetOp } from '../fleet-action.ts'
import { formatTable } from './print-table.ts'

export const listTenants: FleetOp = async ctx => {
  const tenants = await ctx.controlPlane().listTenants()
  ctx.print(tenants, () => formatTable(tenants, [
    ['ID', x => x.id], ['NAME', x => x.name], ['STATUS', x => x.status], ['PLAN', x => x.planTier],
    ['GPUS USED/QUOTA', x => `${x.gpusInUse}/${x.gpuQuota}`], ['RUNNING', x => x.runningJobs], ['WAITING', x => x.queuedJobs],
    ['BLOCKED', x => x.blockedJobs], ['CONTACT', x => x.contactEmail],
  ]))
}

export const listInvoices: FleetOp = async ctx => {
  const invoices = await ctx.controlPlane().listInvoices()
  ctx.print(invoices, () => formatTable(invoices, [
    ['ID', i => i.id], ['TENANT', i => i.tenantName], ['STATUS', i => i.status], ['PERIOD', i => `${i.periodStart.slice(0, 10)}..${i.periodEnd.slice(0, 10)}`],
    ['GPU HOURS', i => i.totalGpuHours], ['AMOUNT', i => `${i.amount.toFixed(2)} ${i.currency.toUpperCase()}`], ['PAYMENT LINK', i => i.stripePaymentUrl],
  ]))
}
