import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { Principal } from '../auth/principal.ts'
import type { CpEnv } from '../http/cp-env.ts'
import type { BillingRepository, TenantRef } from '../store/billing-repository.ts'
import { tenantForbidden } from '../auth/tenant-policy.ts'

/**
 * A tenant-bound key sees only its own tenant: another tenant's id answers exactly like an
 * unknown one (404), so a key cannot probe which tenants exist.
 */
export function assertTenantVisible (principal: Principal, tenantId: number): void {
  if (principal.tenantId !== null && principal.tenantId !== tenantId) throw tenantNotFound(tenantId)
}

/** The tenant a billing route names: visible to the key (else 404) and present (else 404). */
export async function visibleTenant (billing: Pick<BillingRepository, 'getTenant'>, principal: Principal, tenantId: number): Promise<TenantRef> {
  assertTenantVisible(principal, tenantId)
  const tenant = await billing.getTenant(tenantId)
  if (tenant === null) throw tenantNotFound(tenantId)
  return tenant
}

export function tenantNotFound (tenantId: number): HttpError {
  return httpError('TENANT_NOT_FOUND', `no tenant with id ${tenantId}`)
}

/**
 * Route middleware after requireScope: rates and invoice status are the operator's, so a
 * tenant-bound key may not change them whatever its scope (403 before the body is read).
 */
export function denyTenantKeys (what: string): MiddlewareHandler<CpEnv> {
  return async function denyTenantKeysMiddleware (c, next) {
    if (c.get('principal').tenantId !== null) throw tenantForbidden(what)
    await next()
  }
}
