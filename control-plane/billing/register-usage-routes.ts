import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { CpEnv } from '../http/cp-env.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { BillingRouterDeps } from './billing-router-deps.ts'
import { DEFAULT_DAYS, daysQuerySchema, revenueSchema, tenantIdParamSchema, usageSchema } from '../../shared/wire/billing-schemas.ts'
import { usageWindow } from './billing-windows.ts'
import { meterUsage } from './meter-usage.ts'
import { dollars, dollarsOrNull } from './money.ts'
import { hours, iso, seconds, typeTotalJson } from './render-billing.ts'
import { renderRevenue } from './render-revenue.ts'
import { summarizeUsage } from './summarize-usage.ts'
import { visibleTenant } from './tenant-access.ts'
import { usageEvents } from './usage-events.ts'
import { utcDate } from './utc-days.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/** Newest events kept in the response; totals always cover every event. */
const MAX_EVENTS = 1000

/** Seed 003 "GET /api/tenants/:id/usage" and "GET /api/dashboard/revenue", both metered from job GPU intervals. */
export function registerUsageRoutes (app: OpenAPIHono<CpEnv>, deps: BillingRouterDeps): void {
  const { store, requireScope, now } = deps

  app.openapi(createRoute({
    method: 'get', path: '/api/tenants/{id}/usage', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Usage events (per job and GPU type) and cost by GPU type and by UTC day over the last `days` UTC days including ' +
      'today ([00:00 UTC of today − days + 1, now)); running jobs count up to now. GPU time of models no rate matches is reported ' +
      'with a null price and left out of amounts. Amounts are priced once per GPU type (half-up) and apportioned to days and jobs, ' +
      'so each breakdown sums to the total exactly. A tenant-bound key sees only its own tenant (others 404).',
    request: { params: tenantIdParamSchema, query: daysQuerySchema },
    responses: { 200: json(usageSchema, 'Usage'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const days = Number(c.req.valid('query').days ?? DEFAULT_DAYS)
    const tenant = await visibleTenant(store.billing, c.get('principal'), id)
    const at = now()
    const window = usageWindow(at, days)
    const [rates, intervals] = await Promise.all([
      store.billing.listRates(),
      store.billing.meterIntervals({ from: window.start, to: window.end, now: at, tenantId: id }),
    ])
    const lines = meterUsage(intervals, rates)
    const sum = summarizeUsage(lines, window)
    const events = usageEvents(intervals, lines, rates)
    return c.json({
      tenant_id: tenant.id,
      tenant_name: tenant.name,
      days,
      window: { start: iso(window.start), end: iso(window.end) },
      currency: 'usd',
      total_gpu_seconds: seconds(sum.gpuMs),
      total_gpu_hours: hours(sum.gpuMs),
      unpriced_gpu_seconds: seconds(sum.unpricedGpuMs),
      total_amount: dollars(sum.amountCents),
      total_amount_cents: sum.amountCents,
      by_gpu_type: sum.byGpuType.map(typeTotalJson),
      by_day: sum.byDay.map(d => ({
        date: utcDate(d.day),
        gpu_seconds: seconds(d.gpuMs),
        gpu_hours: hours(d.gpuMs),
        amount: dollars(d.amountCents),
        amount_cents: d.amountCents,
        by_gpu_type: d.types.map(typeTotalJson),
      })),
      events: events.slice(-MAX_EVENTS).map(e => ({
        job_id: e.jobId,
        job_name: e.jobName,
        gpu_type: e.gpuType,
        gpu_model: e.gpuModel,
        gpu_count: e.gpuCount,
        start: iso(e.start),
        end: iso(e.end),
        running: e.running,
        gpu_seconds: seconds(e.gpuMs),
        gpu_hours: hours(e.gpuMs),
        cost: dollarsOrNull(e.amountCents),
        cost_cents: e.amountCents,
      })),
      events_truncated: events.length > MAX_EVENTS,
    }, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard/revenue', tags: ['billing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Revenue analytics (seed 003): per tenant, by GPU type, daily trend and total over the last `days` UTC days including ' +
      'today, from metered GPU time × the current rate card; alongside, what was invoiced (invoices created in the window). Usage of ' +
      'jobs without a tenant is shown apart (unattributed) and not counted as revenue. A tenant-bound key sees only its own tenant.',
    request: { query: daysQuerySchema },
    responses: { 200: json(revenueSchema, 'Revenue'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const days = Number(c.req.valid('query').days ?? DEFAULT_DAYS)
    const tenantId = c.get('principal').tenantId ?? undefined
    const at = now()
    const window = usageWindow(at, days)
    const [rates, intervals, tenants, invoices] = await Promise.all([
      store.billing.listRates(),
      store.billing.meterIntervals({ from: window.start, to: window.end, now: at, tenantId }),
      store.billing.listTenants(),
      // + 1: an invoice made at this very millisecond was made in the window.
      store.billing.invoiceTotals({ tenantId, createdFrom: window.start, createdTo: window.end + 1 }),
    ])
    const visibleTenants = tenantId === undefined ? tenants : tenants.filter(t => t.id === tenantId)
    const lines = meterUsage(intervals, rates)
    // A tenant deleted in the window still has usage in it: name it (deleted_tenants).
    const listed = new Set(visibleTenants.map(t => t.id))
    const gone = [...new Set(lines.map(l => l.tenantId).filter((id): id is number => id !== null && !listed.has(id)))]
    const deleted = (await Promise.all(gone.map(id => store.billing.getTenant(id)))).flatMap(t => (t === null ? [] : [t]))
    return c.json(renderRevenue({ window, lines, tenants: [...visibleTenants, ...deleted], invoiced: invoices }), 200)
  })
}
