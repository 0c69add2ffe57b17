import type { MiddlewareHandler } from 'hono'
import { tenantForbidden } from '../auth/tenant-policy.ts'
import type { CpEnv } from '../http/cp-env.ts'

/**
 * After requireScope: refuses tenant-bound keys (403) on fleet-wide operator data (KPIs of the
 * whole fleet, the topology, alert rule configuration) that cannot be narrowed to one tenant
 * without becoming a different figure.
 */
export function requireUntenanted (what: string): MiddlewareHandler<CpEnv> {
  return async (c, next) => {
    if (c.get('principal')?.tenantId !== null) {
      throw tenantForbidden(`read ${what}: fleet-wide operator data`)
    }
    await next()
  }
}
