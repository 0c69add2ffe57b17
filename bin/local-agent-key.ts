import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashApiKey } from '../shared/wire/api-key-format.ts'
import { mintApiKey } from '../control-plane/auth/mint-api-key.ts'
import type { Store } from '../control-plane/store/store.ts'

/**
 * `gpufleet up`'s own agent needs an ingest key, like any agent's /etc/gpufleet/agent.env.
 * It lives in <data-dir>/local-agent.key (0600), reused while the store still accepts it;
 * the database keeps only its SHA-256.
 */
export async function localAgentKey (store: Store, dataDir: string, now: () => number = Date.now): Promise<string> {
  const file = join(dataDir, 'local-agent.key')
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    if (await store.apiKeys.findActiveByHash(hashApiKey(key)) !== null) return key
  }
  const { key } = await mintApiKey(store.apiKeys, { label: 'local agent (gpufleet up)', permissions: ['ingest'], createdAt: now() })
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return key
}
