import { createRoute } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { httpError } from '../../shared/error-codes.ts'
import { errorResponse } from '../../shared/wire/fleet-schemas.ts'
import { rankRoute } from './rank-route.ts'
import { buildNodeViews, computeRegionHealth, regionOf, type FleetView } from './region-health.ts'
import { regionsResponseSchema, routeQuerySchema, routeResponseSchema } from '../../shared/wire/regions-schemas.ts'

export interface RegionsRouterDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
  /** A node whose newest GPU sample is older than this is not routable (30 s). */
  staleAfterMs?: number | undefined
  /**
   * How long one read of the fleet serves both routes: an autorouter may ask per request, and
   * the live readings it reads are themselves up to a few seconds old (default 1000 ms).
   */
  cacheMs?: number | undefined
}

/** Candidates shown in a /v1/route answer; `candidates_total` says how many there were. */
export const MAX_CANDIDATES = 20

const json = (schema: typeof regionsResponseSchema | typeof routeResponseSchema, description: string) =>
  ({ description, content: { 'application/json': { schema } } })

/** Region health and routing for the autorouter (seed 004), computed from the fleet's live readings. */
export function createRegionsRouter ({ store, requireScope, now, staleAfterMs = 30_000, cacheMs = 1000 }: RegionsRouterDeps) {
  const app = createRouter()
  let cached: { at: number, view: Promise<FleetView> } | null = null

  const loadView = (): Promise<FleetView> => {
    const t = now()
    if (cached !== null && t - cached.at < cacheMs && t >= cached.at) return cached.view
    const view = Promise.all([store.fleet.listClusters(), store.fleet.listNodes(), store.fleet.listGpus()])
      .then(([clusters, nodes, gpus]) => ({ clusters, nodes, gpus }))
    // Concurrent callers share one read; a failed read is not kept.
    cached = { at: t, view }
    view.catch(() => { if (cached?.view === view) cached = null })
    return view
  }

  app.openapi(createRoute({
    method: 'get', path: '/v1/regions', tags: ['routing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Health per region (cluster.region; "unassigned" for clusters without one): nodes online/total, GPUs, ' +
      'free GPU memory and mean utilization over online nodes, age of the newest sample. A region is healthy when at ' +
      'least one online node has GPUs and a sample newer than stale_after_ms; otherwise `reasons` says why not.',
    responses: { 200: json(regionsResponseSchema, 'Regions by name'), 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope') },
  }), async (c) => {
    const view = await loadView()
    const t = now()
    const regions = computeRegionHealth(view.clusters, buildNodeViews(view), t, staleAfterMs)
    return c.json({ generated_at: new Date(t).toISOString(), stale_after_ms: staleAfterMs, regions }, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/v1/route', tags: ['routing'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'The best region and node for a request. Eligible: healthy region, online node, a GPU sample newer than ' +
      'stale_after_ms, and at least min_free_mb free over its GPUs (only those matching gpu_model, if given). Ranked by free ' +
      'memory, then lower mean utilization, then node id. `reason` explains the choice; `candidates` ranks the others with ' +
      'why each lost. 503 NO_HEALTHY_REGION when nothing qualifies (details list the candidates); 404 for an unknown region.',
    request: { query: routeQuerySchema },
    responses: {
      200: json(routeResponseSchema, 'The chosen node'),
      400: errorResponse('Invalid query'),
      401: errorResponse('Missing or invalid API key'),
      403: errorResponse('Key lacks the scope'),
      404: errorResponse('Unknown region (REGION_NOT_FOUND)'),
      503: errorResponse('No eligible node (NO_HEALTHY_REGION)'),
    },
  }), async (c) => {
    const q = c.req.valid('query')
    const view = await loadView()
    const t = now()
    const known = [...new Set(view.clusters.map(regionOf))].sort()
    if (q.region !== undefined && !known.includes(q.region)) {
      throw httpError('REGION_NOT_FOUND', `no cluster is in region "${q.region}"`, { regions: known })
    }
    const nodes = buildNodeViews(view)
    const health = computeRegionHealth(view.clusters, nodes, t, staleAfterMs)
    const decision = rankRoute(nodes, health, {
      region: q.region, minFreeMb: Number(q.min_free_mb ?? '0'), gpuModel: q.gpu_model,
    }, t, staleAfterMs)
    const candidates = decision.candidates.slice(0, MAX_CANDIDATES)
    const w = decision.winner
    if (w === null) {
      throw httpError('NO_HEALTHY_REGION', decision.reason, {
        regions: health.filter(h => q.region === undefined || h.region === q.region),
        candidates,
        candidates_total: decision.candidates.length,
      })
    }
    return c.json({
      region: w.region,
      node: w.node,
      free_memory_mb: w.free_memory_mb as number,
      mean_utilization_pct: w.mean_utilization_pct,
      reason: decision.reason,
      candidates,
      candidates_total: decision.candidates.length,
    }, 200)
  })

  return app
}
