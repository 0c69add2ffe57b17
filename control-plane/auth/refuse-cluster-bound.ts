import type { MiddlewareHandler } from 'hono'
import { httpError } from '../../shared/error-codes.ts'
import type { CpEnv } from '../http/cp-env.ts'

/**
 * After authentication: refuses a cluster-bound agent key (Principal.clusterId) on a route
 * that acts beyond one cluster's nodes, e.g. the serving layers' fleet-wide analytics ingest.
 * An agent's key is on a GPU host; one compromised host must not write for the whole fleet.
 */
export function refuseClusterBound (what: string): MiddlewareHandler<CpEnv> {
  return async function refuseClusterBoundMiddleware (c, next) {
    const clusterId = c.var.principal?.clusterId ?? null
    if (clusterId !== null) {
      throw httpError('FORBIDDEN', `a cluster-bound agent key cannot ${what}; use an unbound ingest key or an admin key`,
        { key_cluster_id: clusterId })
    }
    await next()
  }
}
