import type { Store } from '../store/store.ts'
import { ApiKeyConflictError } from '../store/api-key-repository.ts'
import { ControlPlaneError } from '../errors.ts'
import { hashApiKey, isPresentableApiKey, keyPrefixOf } from '../../shared/wire/api-key-format.ts'
import { mintApiKey } from './mint-api-key.ts'

export interface BootstrapResult {
  /** Whether a key was stored by this call. */
  created: boolean
  /** Only for a generated key: main prints it once. Never set for GPUFLEET_ADMIN_KEY. */
  key?: string
}

/**
 * DESIGN.md's bootstrap: GPUFLEET_ADMIN_KEY, if set and not yet stored (revoked counts as
 * stored: an operator who revoked it meant it), becomes a superadmin key labelled
 * "bootstrap". Otherwise a store that never held a key gets a generated superadmin key,
 * returned so main prints it once; later starts find keys and print nothing.
 */
export async function bootstrapAdminKey (store: Pick<Store, 'apiKeys'>, adminKey?: string, now: () => number = Date.now): Promise<BootstrapResult> {
  const repo = store.apiKeys
  if (adminKey !== undefined) {
    if (!isPresentableApiKey(adminKey)) {
      throw new ControlPlaneError('CONFIG_INVALID', 'GPUFLEET_ADMIN_KEY: expected gfk_ followed by 32 to 256 visible ASCII characters (no spaces)')
    }
    const keyHash = hashApiKey(adminKey)
    if (await repo.findByHash(keyHash) !== null) return { created: false }
    try {
      await repo.create({ keyHash, keyPrefix: keyPrefixOf(adminKey), label: 'bootstrap', permissions: ['superadmin'], tenantId: null, createdByKeyId: null, createdAt: now() })
    } catch (err) {
      // Another replica stored it between our lookup and insert: same outcome.
      if (err instanceof ApiKeyConflictError) return { created: false }
      throw err
    }
    return { created: true }
  }
  if (await repo.hasAny()) return { created: false }
  const { key } = await mintApiKey(repo, { label: 'bootstrap', permissions: ['superadmin'], createdAt: now() })
  return { created: true, key }
}
