import type { Principal } from '../auth/principal.ts'
import { tenantForbidden } from '../auth/tenant-policy.ts'

/**
 * A tenant-bound key sees its own tenant but never changes tenants or quotas (seed 003), even
 * with the admin scope: 403 regardless of which tenant it names, so the answer says nothing
 * about other tenants. (The policy table refuses these routes first; this keeps the router
 * safe on its own.)
 */
export function refuseTenantBound (principal: Principal, action: string): void {
  if (principal.tenantId !== null) throw tenantForbidden(action)
}
