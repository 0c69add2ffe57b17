import type { Store } from '../store/store.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import type { AnalyticsLogger } from './analytics-context.ts'
import { registerGlobalEnvRoutes } from './register-global-env-routes.ts'
import { registerHistoryRoutes } from './register-history-routes.ts'
import { registerIngestRoutes, INFERENCE_BODY_LIMIT_BYTES, INFERENCE_RECORDS_PATH } from './register-ingest-routes.ts'
import { registerSummaryRoute } from './register-summary-route.ts'
import { registerWorkerEventsRoute } from './register-worker-events-route.ts'
import { createAliasLoader } from './source-aliases.ts'

export interface AnalyticsRouterDeps {
  store: Pick<Store, 'analytics'>
  requireScope: RequireScope
  now: () => number
  log: AnalyticsLogger
}

/** Body limits the analytics routes need beyond the default: mount them with the router. */
export const ANALYTICS_BODY_LIMITS: ReadonlyArray<{ prefix: string, bytes: number }> = Object.freeze([
  { prefix: INFERENCE_RECORDS_PATH, bytes: INFERENCE_BODY_LIMIT_BYTES },
])

/**
 * Seed 001 analytics, every read admin only: /v1/history[/{kind}|/summary], /admin/worker-events,
 * /v1/global-env; plus the writes that feed it from serving layers (/v1/inference/records,
 * /v1/endpoints/{name}; ingest or admin). Routes carry full paths: mount at '/'.
 */
export function createAnalyticsRouter (deps: AnalyticsRouterDeps) {
  const { store, requireScope, now, log } = deps
  if (store?.analytics === undefined) throw new TypeError('createAnalyticsRouter: store.analytics is required')
  if (typeof requireScope !== 'function') throw new TypeError('createAnalyticsRouter: requireScope must be a function')
  if (typeof now !== 'function') throw new TypeError('createAnalyticsRouter: now must be a function')
  if (typeof log?.info !== 'function' || typeof log.warn !== 'function') throw new TypeError('createAnalyticsRouter: log must be a pino-like logger')
  const repo = store.analytics
  const ctx = { repo, requireScope, now, log, aliases: createAliasLoader(repo) }
  const app = createRouter()
  registerHistoryRoutes(app, ctx)
  registerSummaryRoute(app, ctx)
  registerWorkerEventsRoute(app, ctx)
  registerGlobalEnvRoutes(app, ctx)
  registerIngestRoutes(app, ctx)
  return app
}
