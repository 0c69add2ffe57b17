import { createRoute } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { httpError } from '../../shared/error-codes.ts'
import { errorResponse } from '../../shared/wire/fleet-schemas.ts'
import { prometheusTargetsQuerySchema, prometheusTargetsSchema } from '../../shared/wire/prometheus-targets-schemas.ts'
import { prometheusTargets } from './prometheus-targets.ts'

export interface PrometheusTargetsRouterDeps {
  store: Store
  requireScope: RequireScope
}

/**
 * Prometheus service discovery over HTTP (`http_sd_configs`): every registered agent's
 * /metrics with cluster, region and hostname labels, so one scrape config covers the fleet.
 */
export function createPrometheusTargetsRouter ({ store, requireScope }: PrometheusTargetsRouterDeps) {
  const app = createRouter()
  app.openapi(createRoute({
    method: 'get', path: '/api/prometheus/targets', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'The agents\' metrics endpoints in Prometheus http_sd format: one target group per node that registered an ' +
      'agent_url (offline nodes too, so Prometheus reports them down), labelled cluster, region and hostname, with ' +
      '__scheme__ from the agent URL. Point `http_sd_configs` here with a read key (tenant-bound keys are refused).',
    request: { query: prometheusTargetsQuerySchema },
    responses: {
      200: { description: 'Target groups', content: { 'application/json': { schema: prometheusTargetsSchema } } },
      400: errorResponse('Invalid query (VALIDATION_FAILED)'),
      401: errorResponse('Missing or invalid API key'),
      403: errorResponse('Key lacks the scope, or is bound to a tenant'),
      404: errorResponse('No such cluster (CLUSTER_NOT_FOUND)'),
    },
  }), async c => {
    const q = c.req.valid('query')
    const clusters = await store.fleet.listClusters()
    const chosen = q.cluster === undefined ? clusters : clusters.filter(cl => cl.name === q.cluster)
    if (chosen.length === 0 && q.cluster !== undefined) throw httpError('CLUSTER_NOT_FOUND', `no cluster named ${JSON.stringify(q.cluster)}`)
    const nodes = await store.fleet.listNodes(chosen.length === 1 ? { clusterId: chosen[0]!.id } : {})
    return c.json(prometheusTargets(chosen, nodes), 200)
  })
  return app
}
