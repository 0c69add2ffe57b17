import type { FleetOp } from '../fleet-action.ts'
import type { CreateTenantInput, UpdateTenantInput } from '../../shared/sdk/control-plane-types.ts'
import { PLAN_TIERS, TENANT_STATUSES } from '../../shared/wire/enums.ts'
import { daysOf, oneOf, positiveInt, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

/** The flags create and update share, as the API's fields (absent flags stay absent). */
function tenantFields (o: Record<string, unknown>): UpdateTenantInput {
  return {
    ...(o.name !== undefined && { name: String(o.name) }),
    ...(o.quota !== undefined && { gpuQuota: positiveInt(String(o.quota), '--quota') }),
    // --no-email (update) clears it: the API's null.
    ...(o.email !== undefined && { contactEmail: o.email === false ? null : String(o.email) }),
    ...(o.plan !== undefined && { planTier: oneOf(o.plan, PLAN_TIERS, '--plan') }),
    ...(o.status !== undefined && { status: oneOf(o.status, TENANT_STATUSES, '--status') }),
  } as UpdateTenantInput
}

export const createTenant: FleetOp = async (ctx, _args, o) => {
  const tenant = await ctx.controlPlane().createTenant(tenantFields(o) as CreateTenantInput)
  ctx.print(tenant, () => `tenant ${tenant.id} (${tenant.name}) created: quota ${tenant.gpuQuota} GPUs, plan ${tenant.planTier}, ${tenant.status}\n`)
}

export const updateTenant: FleetOp = async (ctx, [id], o) => {
  const tenantId = positiveInt(id, 'tenant id') ?? 0
  const fields = tenantFields(o)
  if (Object.keys(fields).length === 0) throw usageError('nothing to update: pass one or more of --name, --quota, --email, --no-email, --plan, --status')
  const tenant = await ctx.controlPlane().updateTenant(tenantId, fields)
  ctx.print(tenant, () => `tenant ${tenant.id} (${tenant.name}) updated: quota ${tenant.gpuQuota} GPUs, plan ${tenant.planTier}, ${tenant.status}\n`)
}

export const deleteTenant: FleetOp = async (ctx, [id]) => {
  const gone = await ctx.controlPlane().deleteTenant(positiveInt(id, 'tenant id') ?? 0)
  ctx.print(gone, () => `tenant ${gone.id} deleted; ${gone.jobsUnlinked} jobs unlinked, ${gone.jobsCancelled} waiting jobs cancelled\n`)
}

export const showUsage: FleetOp = async (ctx, [id], o) => {
  const days = daysOf(o.days)
  const usage = await ctx.controlPlane().getTenantUsage(positiveInt(id, 'tenant id') ?? 0, days === undefined ? {} : { days })
  const money = (x: number | null) => x === null ? null : `${x.toFixed(2)} ${usage.currency.toUpperCase()}`
  ctx.print(usage, () => [
    `tenant ${usage.tenantId} (${usage.tenantName}), ${usage.days} days ${usage.window.start.slice(0, 10)}..${usage.window.end.slice(0, 10)}`,
    `${usage.totalGpuHours} GPU hours, ${money(usage.totalAmount)}${usage.unpricedGpuSeconds > 0 ? ` (${usage.unpricedGpuSeconds} GPU seconds have no rate)` : ''}`,
    ...(usage.byGpuType.length === 0 ? [''] : ['', formatTable(usage.byGpuType, [
      ['GPU TYPE', r => r.gpuType], ['PRICED', r => r.priced ? 'yes' : 'NO'], ['RATE', r => r.pricePerHour], ['GPU HOURS', r => r.gpuHours], ['AMOUNT', r => money(r.amount)],
    ])]),
  ].join('\n'))
}
