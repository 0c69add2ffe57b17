import type { z } from '@hono/zod-openapi'
import type { ApiKeyWire, CreatedApiKeySchema } from '../../shared/wire/api-key-schemas.ts'
import type { ApiKeyRecord } from '../store/api-key-repository.ts'

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString()

export function apiKeyToWire (k: ApiKeyRecord): ApiKeyWire {
  return {
    id: k.id,
    key_prefix: k.keyPrefix,
    label: k.label,
    permissions: k.permissions,
    tenant_id: k.tenantId,
    cluster_id: k.clusterId,
    created_at: new Date(k.createdAt).toISOString(),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
    created_by_key_id: k.createdByKeyId,
  }
}

/** The created key once, with the raw key: the record less its use and creator, the key after the id. */
export function createdApiKeyToWire (k: ApiKeyRecord, rawKey: string): z.infer<typeof CreatedApiKeySchema> {
  const { id, last_used_at: _lastUsed, created_by_key_id: _createdBy, ...rest } = apiKeyToWire(k)
  return { id, key: rawKey, ...rest }
}
