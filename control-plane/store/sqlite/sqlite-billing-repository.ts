import type { BillingRepository } from '../billing-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations } from './apply-migrations.ts'
import { BILLING_MIGRATIONS_V1 } from './sqlite-scheduling-migrations.ts'

export function createSqliteBillingRepository (db: SqliteDb): BillingRepository {
  applyMigrations(db, 'billing', [BILLING_MIGRATIONS_V1])
  return {}
}
