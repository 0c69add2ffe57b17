import type { ApiKeyRepository, ApiKeyWithHash } from '../store/api-key-repository.ts'
import { hashApiKey, hashesEqual, isPresentableApiKey } from '../../shared/wire/api-key-format.ts'

/**
 * The active key record for a presented raw key, or null. Looked up by its SHA-256, then
 * compared in constant time, so neither the lookup nor the compare reveals how much of a
 * guess was right. The store's repository caches hits (cacheActiveKeys): a revoke in this
 * process still fails the key on its very next request.
 */
export async function verifyApiKey (repo: ApiKeyRepository, rawKey: string): Promise<ApiKeyWithHash | null> {
  if (!isPresentableApiKey(rawKey)) return null
  const hash = hashApiKey(rawKey)
  const record = await repo.findActiveByHash(hash)
  if (record === null || !hashesEqual(record.keyHash, hash)) return null
  return record
}
