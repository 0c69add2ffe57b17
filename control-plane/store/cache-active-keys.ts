import type { ApiKeyRepository, ApiKeyWithHash } from './api-key-repository.ts'

export interface ActiveKeyCacheOptions {
  now?: () => number
  /**
   * How long a verified key's record is reused without a store lookup. It bounds how long a
   * revoke made elsewhere (another replica on the same database) takes to apply here; a
   * revoke through this repository applies at once. 0 turns the cache off.
   */
  ttlMs?: number
  /** Keys held at most (only valid keys are cached, so this is the fleet's key count). */
  maxKeys?: number
}

/**
 * The API-key repository with `findActiveByHash` answers reused for `ttlMs`: every agent
 * push authenticates, and the lookup (a row read and a JSON parse per request) was ~5 % of
 * the control plane's CPU at 2,000 pushes/s. Keyed by the key's SHA-256, never the raw key.
 * Misses (unknown or revoked keys) are never cached, so a new key works at once, and a
 * revoke through this repository drops the entry before it answers, so the key gets 401
 * on its very next request. The store wraps its own repository with it, so every revoke in
 * this process (the API's included) goes through here. `touchLastUsed` keeps the cached last_used_at current, so
 * the auth path's "is a touch due" check stays at one write per key per resolution.
 */
export function cacheActiveKeys (repo: ApiKeyRepository, options: ActiveKeyCacheOptions = {}): ApiKeyRepository {
  // Monotonic by default: a wall-clock step must not stretch an entry's life.
  const { now = () => performance.now(), ttlMs = 5000, maxKeys = 10_000 } = options
  if (!Number.isFinite(ttlMs) || ttlMs < 0) throw new TypeError(`cacheActiveKeys: ttlMs must be ≥ 0, got ${ttlMs}`)
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError(`cacheActiveKeys: maxKeys must be a positive integer, got ${maxKeys}`)
  if (ttlMs === 0) return repo
  const byHash = new Map<string, { record: ApiKeyWithHash, until: number }>()
  const dropId = (id: number) => {
    for (const [hash, e] of byHash) if (e.record.id === id) byHash.delete(hash)
  }

  return {
    ...repo,
    async findActiveByHash (keyHash) {
      const t = now()
      const hit = byHash.get(keyHash)
      if (hit !== undefined && t < hit.until) return hit.record
      byHash.delete(keyHash)
      const record = await repo.findActiveByHash(keyHash)
      if (record === null) return null
      // Map order is insertion order: the first entry is the oldest.
      if (byHash.size >= maxKeys) byHash.delete(byHash.keys().next().value!)
      byHash.set(keyHash, { record, until: t + ttlMs })
      return record
    },
    async revoke (id, at) {
      // Dropped before and after: a lookup racing the revoke cannot leave the key cached.
      dropId(id)
      try {
        return await repo.revoke(id, at)
      } finally {
        dropId(id)
      }
    },
    async touchLastUsed (id, at) {
      const wrote = await repo.touchLastUsed(id, at)
      for (const e of byHash.values()) {
        if (e.record.id === id && (e.record.lastUsedAt === null || e.record.lastUsedAt < at)) e.record = { ...e.record, lastUsedAt: at }
      }
      return wrote
    },
  }
}
