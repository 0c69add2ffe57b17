import { createRoute, z } from '@hono/zod-openapi'
import { healthDegradedRule } from '../alerts/rules/health-degraded-rule.ts'
import type { Store } from '../store/store.ts'
import type { InvoiceRecord, ModelUsage } from '../store/dashboard-repository.ts'
import { uncoveredRanges } from '../billing/uncovered-ranges.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponses } from '../http/error-responses.ts'
import { computeKpis } from './compute-kpis.ts'
import { DASHBOARD_DEFINITIONS as D } from './dashboard-definitions.ts'
import { kpisSchema, leakageSchema, overviewSchema } from '../../shared/wire/dashboard-schemas.ts'
import { findLeakage } from './find-leakage.ts'
import { PROCESS_REPORT_STALE_MS } from '../fleet/process-report-stale.ts'
import { isIdleAllocated } from './is-idle-allocated.ts'
import { renderOverview } from './render-overview.ts'
import { requireUntenanted } from './require-untenanted.ts'
import type { Logger } from '../../shared/logger.ts'

export type DashboardLogger = Pick<Logger, 'info' | 'warn'>

export interface DashboardRouterDeps {
  store: Pick<Store, 'dashboard' | 'alerts' | 'fleet' | 'billing' | 'processes'>
  requireScope: RequireScope
  now: () => number
  log: DashboardLogger
  /** A live GPU reading older than this is stale (default 30 s, as the regions router). */
  staleAfterMs?: number | undefined
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * Seed 003 "Dashboard": KPIs, the fleet overview and revenue leakage, every figure computed
 * from stored telemetry, assignments and invoices at request time (definitions in
 * compute-kpis.ts, find-leakage.ts, dashboard-definitions.ts). Tenant-bound keys: KPIs and the
 * overview are fleet-wide operator data (403); leakage is narrowed to the caller's tenant.
 */
export function createDashboardRouter (deps: DashboardRouterDeps) {
  const { store, requireScope, now, staleAfterMs = D.staleAfterMs } = deps
  if (store?.dashboard === undefined || store.alerts === undefined || store.fleet === undefined) {
    throw new TypeError('createDashboardRouter: store with dashboard, alerts and fleet is required')
  }
  if (!Number.isFinite(staleAfterMs) || staleAfterMs <= 0) throw new TypeError(`createDashboardRouter: staleAfterMs must be > 0, got ${staleAfterMs}`)
  const app = createRouter()

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard/kpis', tags: ['dashboard'], security: API_KEY_SECURITY,
    middleware: [requireScope('read'), requireUntenanted('the KPIs')] as const,
    description: 'Executive KPIs (seed 003 shape): fleet utilization, revenue leakage, quota utilization with a per-tenant ' +
      'breakdown, fleet health, active jobs. 403 for tenant-bound keys.',
    responses: { 200: json(kpisSchema, 'KPIs now'), ...errorResponses(401, 403) },
  }), async c => {
    const t = now()
    const w = D.idleWindowMs
    const [gpus, quotas, jobs, current, previous, held, rules] = await Promise.all([
      store.dashboard.gpuStates(),
      store.dashboard.tenantQuotas(),
      store.dashboard.jobCounts(),
      // A hold's first window is a job loading, not leakage (is-idle-allocated.ts): left out of
      // the share as it is of the count, or a fresh idle job read "100 % · 0 idle allocated GPUs".
      store.dashboard.allocatedMinutes(t - w, t, D.idleBelowPct, w),
      store.dashboard.allocatedMinutes(t - 2 * w, t - w, D.idleBelowPct, w),
      store.dashboard.heldGpuUtilization(t - w, t),
      store.alerts.listRules(),
    ])
    return c.json(computeKpis({
      now: t,
      gpus,
      quotas,
      jobs,
      allocated: { current, previous },
      idleAllocatedGpus: held.filter(h => isIdleAllocated(h, t)).length,
      healthThresholdC: rules.find(r => r.ruleType === healthDegradedRule.type)?.threshold ?? healthDegradedRule.defaults.threshold,
      staleAfterMs,
    }), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard', tags: ['dashboard'], security: API_KEY_SECURITY,
    middleware: [requireScope('read'), requireUntenanted('the fleet overview')] as const,
    description: 'Full fleet overview: cluster → node → GPU topology with latest metrics, a stats summary and the ' +
      `${D.recentJobs} most recent jobs. 403 for tenant-bound keys.`,
    responses: { 200: json(overviewSchema, 'The fleet now'), ...errorResponses(401, 403) },
  }), async c => {
    const t = now()
    const [clusters, nodes, gpus, jobs, recentJobs, rules] = await Promise.all([
      store.fleet.listClusters(),
      store.fleet.listNodes(),
      store.dashboard.gpuStates(),
      store.dashboard.jobCounts(),
      store.dashboard.recentJobs(D.recentJobs),
      store.alerts.listRules(),
    ])
    const activeAlerts = rules.reduce((sum, r) => sum + r.activeEvents, 0)
    return c.json(renderOverview({ now: t, clusters, nodes, gpus, jobs, recentJobs, activeAlerts, staleAfterMs }), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/dashboard/leakage', tags: ['dashboard'], security: API_KEY_SECURITY,
    middleware: [requireScope('read')] as const,
    description: 'Revenue leakage: idle allocated GPUs (< 10 % mean utilization over the last 30 min), metered-vs-billed ' +
      'gaps (> 5 %), underutilized tenants (< 30 % mean over 24 h), each with an estimated loss; and unallocated GPU use (GPU ' +
      'processes on GPUs no running job holds, or outside their job\'s allocation). A tenant-bound key ' +
      'sees its own tenant\'s findings only.',
    responses: { 200: json(leakageSchema, 'Findings now'), ...errorResponses(401, 403) },
  }), async c => {
    const t = now()
    const tenantId = c.get('principal').tenantId ?? undefined
    const filter = { tenantId }
    const [rates, held, invoices, tenants, flaggedProcesses] = await Promise.all([
      store.dashboard.rates(),
      store.dashboard.heldGpuUtilization(t - D.idleWindowMs, t, filter),
      store.dashboard.invoices(t - D.billingLookbackMs, filter),
      store.dashboard.tenantUtilization(t - D.underutilizedWindowMs, t, filter),
      // A tenant-bound key: only its own jobs' processes outside their allocation.
      store.processes.list({ freshSince: t - PROCESS_REPORT_STALE_MS, flagged: true, tenantId }),
    ])
    const metered = await Promise.all(invoices.map(async invoice => ({ invoice, metered: await meteredFor(invoice, t) })))
    return c.json(findLeakage({ now: t, rates, held, invoices: metered, tenants, flaggedProcesses }), 200)
  })

  /**
   * What an invoice was meant to bill: its period's usage less the time earlier invoices of the
   * tenant with other periods cover (issue-invoice.ts never bills a GPU-second twice, so that
   * time is not missing from it). An earlier invoice of the very same period is not the API's
   * (it returns that one again) but a correction made by hand: the whole period counts.
   */
  async function meteredFor (invoice: InvoiceRecord, at: number): Promise<ModelUsage[]> {
    const period = { start: invoice.periodStart, end: invoice.periodEnd }
    const earlier = (await store.billing.listInvoices({ tenantId: invoice.tenantId, overlapping: period }))
      .filter(i => i.id < invoice.id && (i.periodStart !== period.start || i.periodEnd !== period.end))
    const ranges = uncoveredRanges(period, earlier.map(i => ({ start: i.periodStart, end: i.periodEnd })))
    const parts = await Promise.all(ranges.map(r => store.dashboard.meteredUsage(invoice.tenantId, r.start, r.end, at)))
    const byModel = new Map<string | null, number>()
    for (const u of parts.flat()) byModel.set(u.gpuModel, (byModel.get(u.gpuModel) ?? 0) + u.gpuSeconds)
    return [...byModel].map(([gpuModel, gpuSeconds]) => ({ gpuModel, gpuSeconds }))
  }

  return app
}
