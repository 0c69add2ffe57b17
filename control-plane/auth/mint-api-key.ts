import type { Scope } from '../../shared/wire/introspect.ts'
import type { ApiKeyRecord, ApiKeyRepository } from '../store/api-key-repository.ts'
import { generateApiKey, hashApiKey, keyPrefixOf } from '../../shared/wire/api-key-format.ts'

export interface MintApiKey {
  label: string
  permissions: readonly Scope[]
  tenantId?: number | null
  /** Bind an ingest key to one cluster (its agents' key). */
  clusterId?: number | null
  createdByKeyId?: number | null
  createdAt: number
}

/**
 * Makes a new random key and stores only its SHA-256 and prefix. The raw key is returned
 * once, for the caller to show (API response, bootstrap banner) or hand to an agent.
 */
export async function mintApiKey (repo: ApiKeyRepository, spec: MintApiKey): Promise<{ key: string, record: ApiKeyRecord }> {
  const key = generateApiKey()
  const record = await repo.create({
    keyHash: hashApiKey(key),
    keyPrefix: keyPrefixOf(key),
    label: spec.label,
    permissions: spec.permissions,
    tenantId: spec.tenantId ?? null,
    clusterId: spec.clusterId ?? null,
    createdByKeyId: spec.createdByKeyId ?? null,
    createdAt: spec.createdAt,
  })
  return { key, record }
}
