import type { ApiKeyRepository } from '../api-key-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations, type Migration } from './apply-migrations.ts'

const MIGRATIONS: Migration[] = []

export function createSqliteApiKeyRepository (db: SqliteDb): ApiKeyRepository {
  applyMigrations(db, 'api-key', MIGRATIONS)
  return {}
}
