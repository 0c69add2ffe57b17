import type { Scope } from '../../shared/wire/introspect.ts'

/**
 * One API key as stored. The raw key is never stored: only its SHA-256 (hex) and its first
 * 12 characters (`gfk_a3f8b1c2`), which let people recognise a key in a list. Times are UTC
 * epoch milliseconds; the HTTP layer renders them as ISO 8601.
 */
export interface ApiKeyRecord {
  id: number
  keyPrefix: string
  label: string
  permissions: Scope[]
  tenantId: number | null
  /**
   * An agent key bound to one cluster (ingest scope only): it registers and pushes for that
   * cluster's nodes only. null: not bound (human keys, and ingest keys an admin made unbound).
   */
  clusterId: number | null
  createdAt: number
  lastUsedAt: number | null
  /** Soft revoke: the row stays as the audit trail. */
  revokedAt: number | null
  createdByKeyId: number | null
}

/** What the auth path needs: the record plus the stored hash for the constant-time compare. */
export interface ApiKeyWithHash extends ApiKeyRecord {
  keyHash: string
}

export interface NewApiKey {
  keyHash: string
  keyPrefix: string
  label: string
  permissions: readonly Scope[]
  tenantId: number | null
  /** Bind an ingest key to this cluster; absent or null: unbound. */
  clusterId?: number | null
  createdByKeyId: number | null
  createdAt: number
}

export type RevokeResult =
  | { status: 'revoked', key: ApiKeyRecord }
  /** Idempotent: the record keeps its first revoked_at. */
  | { status: 'already-revoked', key: ApiKeyRecord }
  | { status: 'not-found' }
  /** Refused: revoking it would leave no active superadmin key (operators locked out). */
  | { status: 'last-superadmin', key: ApiKeyRecord }

/**
 * last_used_at has this resolution: a key used every second (a 1 Hz agent) is written at
 * most once a minute, not on every push.
 */
export const LAST_USED_RESOLUTION_MS = 60_000

/** API-key storage, async so SQLite and PostgreSQL serve the same interface. */
export interface ApiKeyRepository {
  /** Throws ApiKeyConflictError if the hash is already stored (revoked or not). */
  create: (key: NewApiKey) => Promise<ApiKeyRecord>
  /** Active (not revoked) key with this hash, or null. */
  findActiveByHash: (keyHash: string) => Promise<ApiKeyWithHash | null>
  /** Any key with this hash, revoked included (bootstrap must not re-create a revoked key). */
  findByHash: (keyHash: string) => Promise<ApiKeyRecord | null>
  findById: (id: number) => Promise<ApiKeyRecord | null>
  /** Ordered by id. `tenantId` given: only that tenant's keys. */
  list: (filter?: { tenantId?: number }) => Promise<ApiKeyRecord[]>
  /**
   * Soft revoke at `at`. Atomic with the last-superadmin check, so two superadmins revoking
   * each other at once cannot both succeed.
   */
  revoke: (id: number, at: number) => Promise<RevokeResult>
  /**
   * Sets last_used_at = at unless it was set less than LAST_USED_RESOLUTION_MS before `at`.
   * Returns whether it wrote.
   */
  touchLastUsed: (id: number, at: number) => Promise<boolean>
  countActiveSuperadmins: () => Promise<number>
  /** Whether any key was ever stored (revoked ones count: the store is not "fresh"). */
  hasAny: () => Promise<boolean>
}

/** The hash is already stored. Stable code so callers branch on it, not on driver text. */
export class ApiKeyConflictError extends Error {
  readonly code = 'API_KEY_CONFLICT'
  constructor () {
    super('an API key with this hash already exists')
    this.name = 'ApiKeyConflictError'
  }
}
