import type { TelemetryRepository } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations, type Migration } from './apply-migrations.ts'

const MIGRATIONS: Migration[] = []

export function createSqliteTelemetryRepository (db: SqliteDb): TelemetryRepository {
  applyMigrations(db, 'telemetry', MIGRATIONS)
  return {}
}
