import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../shared/http-error.ts'
import type { CpEnv } from '../http/cp-env.ts'

/**
 * After requireScope: refuses tenant-bound keys (403) on fleet-wide operator data (KPIs of the
 * whole fleet, the topology, alert rule configuration) that cannot be narrowed to one tenant
 * without becoming a different figure.
 */
export function requireUntenanted (what: string): MiddlewareHandler<CpEnv> {
  return async (c, next) => {
    if (c.get('principal')?.tenantId !== null) {
      throw new HttpError(403, 'FORBIDDEN', `${what} is fleet-wide operator data; a tenant-bound key cannot read it`)
    }
    await next()
  }
}
