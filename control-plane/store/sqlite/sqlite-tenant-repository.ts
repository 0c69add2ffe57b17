import type { TenantRepository } from '../tenant-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations } from './apply-migrations.ts'
import { TENANT_MIGRATIONS } from './sqlite-scheduling-migrations.ts'

export function createSqliteTenantRepository (db: SqliteDb): TenantRepository {
  applyMigrations(db, 'tenants', TENANT_MIGRATIONS)
  return {}
}
