import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Store } from '../store.ts'
import { openSqliteDb } from './sqlite-db.ts'
import { createSqliteApiKeyRepository } from './sqlite-api-key-repository.ts'
import { createSqliteFleetRepository } from './sqlite-fleet-repository.ts'
import { createSqliteTelemetryRepository } from './sqlite-telemetry-repository.ts'

/** Opens (creating if needed) the SQLite store at `path` (':memory:' for tests) and migrates it. */
export async function openSqliteStore (path: string): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = openSqliteDb(path)
  return {
    engine: 'sqlite',
    apiKeys: createSqliteApiKeyRepository(db),
    fleet: createSqliteFleetRepository(db),
    telemetry: createSqliteTelemetryRepository(db),
    async close () { db.close() },
  }
}
