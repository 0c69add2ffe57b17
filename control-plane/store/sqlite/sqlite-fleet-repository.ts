import type { FleetRepository } from '../fleet-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations, type Migration } from './apply-migrations.ts'

const MIGRATIONS: Migration[] = []

export function createSqliteFleetRepository (db: SqliteDb): FleetRepository {
  applyMigrations(db, 'fleet', MIGRATIONS)
  return {}
}
