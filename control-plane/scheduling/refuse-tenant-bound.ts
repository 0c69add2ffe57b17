import type { Principal } from '../auth/principal.ts'
import { HttpError } from '../../shared/http-error.ts'

/**
 * A tenant-bound key sees its own tenant but never changes tenants or quotas (seed 003), even
 * with the admin scope: 403 regardless of which tenant it names, so the answer says nothing
 * about other tenants.
 */
export function refuseTenantBound (principal: Principal, action: string): void {
  if (principal.tenantId !== null) throw new HttpError(403, 'FORBIDDEN', `a tenant-bound key cannot ${action}`)
}
