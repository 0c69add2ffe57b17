import type { Scope } from '../../shared/wire/introspect.ts'

/** Who is calling: set by the auth middleware on every authenticated request. */
export interface Principal {
  keyId: number | null
  scopes: readonly Scope[]
  /** A tenant-bound key sees only its own tenant. */
  tenantId: number | null
  /** A cluster-bound agent key acts for this cluster's nodes only (absent or null: unbound). */
  clusterId?: number | null
  via: 'api-key' | 'session' | 'demo'
}

/**
 * Scope order for the human scopes: read < write < admin < superadmin. `ingest` is a
 * separate lane (agents: push telemetry, register, introspect) and implies nothing else;
 * superadmin implies every scope, ingest included (an operator can push by hand).
 */
const RANK: Record<string, number> = { read: 1, write: 2, admin: 3, superadmin: 4 }

export function hasScope (principal: Principal, needed: Scope): boolean {
  if (principal.scopes.includes('superadmin')) return true
  if (needed === 'ingest') return principal.scopes.includes('ingest')
  const need = RANK[needed] ?? Infinity
  return principal.scopes.some(s => (RANK[s] ?? 0) >= need)
}
