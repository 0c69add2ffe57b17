import { mintApiKey } from './auth/mint-api-key.ts'
import type { LoopContext, Loop } from './loops/loop.ts'
import type { RouterContext, RouterMount } from './http/router-mount.ts'
import { createFleetRouter } from './fleet/create-fleet-router.ts'
import { createFleetService, type FleetService } from './fleet/create-fleet-service.ts'
import { createLivenessLoop } from './fleet/create-liveness-loop.ts'
import { createNodeLifecycleRouter } from './fleet/create-node-lifecycle-router.ts'
import { createRegionsRouter } from './fleet/create-regions-router.ts'
import { createProcessesRouter, PROCESS_REPORT_BODY_LIMIT_BYTES } from './fleet/create-processes-router.ts'
import { AGENT_PROCESSES_PATH } from '../shared/wire/job-execution.ts'
import { createPrometheusTargetsRouter } from './fleet/create-prometheus-targets-router.ts'
import type { Store } from './store/store.ts'
import { createTelemetryRouter, GPU_STATS_BODY_LIMIT_BYTES } from './telemetry/create-telemetry-router.ts'
import { GPU_STATS_PATH } from '../shared/wire/gpu-stats.ts'
import { createBillingRouter } from './billing/create-billing-router.ts'
import type { PaymentProvider } from './billing/payment-provider.ts'
import { createAnalyticsRouter, ANALYTICS_BODY_LIMITS } from './analytics/create-analytics-router.ts'
import { createAlertsRouter } from './alerts/create-alerts-router.ts'
import { createAlertsLoop } from './alerts/create-alerts-loop.ts'
import { createDashboardRouter } from './dashboards/create-dashboard-router.ts'
import { schedulingParts, type SchedulingOptions } from './scheduling/scheduling-parts.ts'
import { createFleetJobHooks } from './scheduling/create-fleet-job-hooks.ts'
import { createConsoleRouter, CONSOLE_FORM_PATHS } from './console/create-console-router.ts'
import { createSlurmLoop } from './slurm/create-slurm-loop.ts'
import { slurmSourceFromConfig } from './slurm/slurm-source-from-config.ts'
import { createAnalyticsProxyRouter } from './analytics-proxy/create-analytics-proxy-router.ts'
import { createGpuHistoryLoop } from './loops/create-gpu-history-loop.ts'
import { createGpuHistoryRouter } from './fleet/create-gpu-history-router.ts'

/**
 * The product's domains composed for startControlPlane: every router and background loop,
 * sharing one fleet service per store (so the fleet router and telemetry ingest see the same
 * node cache). `gpufleet control-plane`, `gpufleet up` and the end-to-end tests all use this.
 */
export interface ProductOptions {
  /** Payment links for invoices (Stripe); none → invoices say no link was made. */
  payments?: PaymentProvider | undefined
  /** The scheduler's timing (tests pass their clock's timers). */
  scheduling?: SchedulingOptions | undefined
}

export function productParts (options: ProductOptions = {}): { routers: RouterMount[], loops: Array<(ctx: LoopContext) => Loop> } {
  const scheduling = schedulingParts(options.scheduling)
  const services = new WeakMap<Store, FleetService>()
  const fleetOf = (ctx: RouterContext): FleetService => {
    let service = services.get(ctx.store)
    if (service === undefined) {
      service = createFleetService({
        store: ctx.store,
        now: ctx.now,
        log: ctx.log,
        // A reading that frees a GPU a waiting job wants starts that job now, not at the next slot.
        onIdle: (clusterId, gpus) => scheduling.schedulerOf(ctx).gpusIdle(clusterId, gpus),
      })
      services.set(ctx.store, service)
    }
    return service
  }

  return {
    routers: [
      {
        path: '/',
        router: ctx => createFleetRouter({
          store: ctx.store,
          requireScope: ctx.requireScope,
          now: ctx.now,
          log: ctx.log,
          service: fleetOf(ctx),
          createClusterKey: (clusterId, label) => mintClusterKey(ctx, clusterId, label),
          operatorTokenKey: () => ctx.operatorTokens.publicKey(),
          ...createFleetJobHooks(ctx.store),
        }),
        // Bulk seed-003 metrics may carry up to 10 000 rows.
        bodyLimits: [{ prefix: '/api/clusters/metrics', bytes: 4 * 1024 * 1024 }],
      },
      {
        path: '/',
        router: ctx => createNodeLifecycleRouter({
          store: ctx.store,
          requireScope: ctx.requireScope,
          now: ctx.now,
          log: ctx.log,
          forget: nodeId => fleetOf(ctx).forget(nodeId),
          poke: reason => scheduling.schedulerOf(ctx).poke(reason),
        }),
      },
      { path: '/', router: ctx => createRegionsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now }) },
      { path: '/', router: ctx => createPrometheusTargetsRouter({ store: ctx.store, requireScope: ctx.requireScope }) },
      { path: '/', router: ctx => createGpuHistoryRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now }) },
      {
        path: '/',
        router: ctx => createProcessesRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, registry: ctx.registry }),
        bodyLimits: [{ prefix: AGENT_PROCESSES_PATH, bytes: PROCESS_REPORT_BODY_LIMIT_BYTES }],
      },
      {
        path: '/',
        router: ctx => {
          const fleet = fleetOf(ctx)
          return createTelemetryRouter({
            store: ctx.store,
            requireScope: ctx.requireScope,
            now: ctx.now,
            log: ctx.log,
            metrics: ctx.registry,
            isLeader: ctx.isLeader,
            resolveNode: (node, bound) => fleet.resolveIngestNode(node, bound),
            onIngested: (nodeId, readings, at) => fleet.recordActivity(nodeId, readings, at),
            revocationEpoch: () => ctx.revocationEpoch.current(),
            closing: ctx.closing,
            tenantGpus: async tenantId => (await ctx.store.jobs.allocation({ tenantId })).filter(g => g.job?.tenantId === tenantId),
            ...(ctx.config === undefined ? {} : { options: { compactAfterMs: ctx.config.telemetryCompactAfterMs } }),
          })
        },
        bodyLimits: [{ prefix: GPU_STATS_PATH, bytes: GPU_STATS_BODY_LIMIT_BYTES }],
      },
      {
        path: '/',
        router: ctx => createBillingRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log, payments: options.payments }),
      },
      {
        path: '/',
        router: ctx => createAnalyticsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }),
        bodyLimits: ANALYTICS_BODY_LIMITS,
      },
      {
        // Seed 001's session-only /api/analytics/* proxies (the console's Analytics page) and the Slurm plane.
        path: '/',
        router: ctx => createAnalyticsProxyRouter({
          requireScope: ctx.requireScope,
          api: ctx.api,
          slurm: ctx.store.slurm,
          now: ctx.now,
          slurmSource: ctx.config.slurmIntervalMs === null ? null : slurmSourceFromConfig(ctx.config)?.name ?? null,
        }),
      },
      {
        path: '/',
        router: ctx => createAlertsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log, allowPrivateWebhooks: ctx.config.alertWebhookAllowPrivate }),
      },
      { path: '/', router: ctx => createDashboardRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) },
      ...scheduling.routers,
      // The admin console at /: pages read through the routers above, as the session.
      { path: '/', router: ctx => createConsoleRouter({ sessions: ctx.sessions, api: ctx.api, now: ctx.now }), formPaths: CONSOLE_FORM_PATHS },
    ],
    loops: [
      ctx => createLivenessLoop({
        store: ctx.store,
        now: ctx.now,
        log: ctx.log,
        nodeFailGraceMs: ctx.config?.nodeFailGraceMs,
        // Requeued jobs are looked at soon, not at the next slot.
        onJobsLost: () => scheduling.schedulerOf(ctx).poke('node_lost'),
      }),
      ctx => createAlertsLoop({ store: ctx.store, now: ctx.now, log: ctx.log, webhook: { allowPrivateAddresses: ctx.config?.alertWebhookAllowPrivate } }),
      ...scheduling.loops,
      ctx => createSlurmLoop(ctx),
      ctx => createGpuHistoryLoop({ store: ctx.store, now: ctx.now, log: ctx.log }),
    ],
  }
}

/**
 * A cluster's agents push with this key: ingest scope only, bound to the cluster (it registers
 * and pushes for that cluster's nodes only), shown once in POST /api/clusters.
 */
async function mintClusterKey (ctx: RouterContext, clusterId: number, label: string): Promise<{ key: string, key_prefix: string }> {
  const { key, record } = await mintApiKey(ctx.store.apiKeys, {
    label: label === '' ? `cluster ${clusterId} agents` : label,
    permissions: ['ingest'],
    clusterId,
    createdAt: ctx.now(),
  })
  return { key, key_prefix: record.keyPrefix }
}
