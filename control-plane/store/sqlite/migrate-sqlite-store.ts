import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations, type Migration } from './apply-migrations.ts'
import { FLEET_MIGRATIONS } from './sqlite-fleet-migrations.ts'
import { API_KEY_MIGRATIONS } from './sqlite-api-key-migrations.ts'
import { TELEMETRY_MIGRATIONS } from './sqlite-telemetry-migrations.ts'
import { BILLING_MIGRATIONS_V1, JOB_MIGRATIONS, TENANT_MIGRATIONS } from './sqlite-scheduling-migrations.ts'
import { BILLING_MIGRATIONS_V2, BILLING_MIGRATIONS_V3 } from './sqlite-billing-migrations.ts'
import { ALERT_MIGRATIONS } from './sqlite-alert-migrations.ts'
import { ANALYTICS_MIGRATIONS } from './sqlite-analytics-migrations.ts'
import { SESSION_MIGRATIONS } from './sqlite-session-migrations.ts'
import { OPERATOR_KEY_MIGRATIONS } from './sqlite-operator-key-migrations.ts'
import { SLURM_MIGRATIONS } from './sqlite-slurm-migrations.ts'

/**
 * Every domain's migrations, in the order their tables reference each other: clusters and
 * GPUs first, then tenants, jobs and rates. The API keys come after the fleet: their
 * cluster-binding migration reads clusters.
 */
export const SQLITE_DOMAINS: ReadonlyArray<readonly [domain: string, migrations: readonly Migration[]]> = [
  ['fleet', FLEET_MIGRATIONS],
  ['api-key', API_KEY_MIGRATIONS],
  ['telemetry', TELEMETRY_MIGRATIONS],
  ['tenants', TENANT_MIGRATIONS],
  ['jobs', JOB_MIGRATIONS],
  ['billing', [BILLING_MIGRATIONS_V1, BILLING_MIGRATIONS_V2, BILLING_MIGRATIONS_V3]],
  ['alerts', ALERT_MIGRATIONS],
  ['analytics', ANALYTICS_MIGRATIONS],
  ['sessions', SESSION_MIGRATIONS],
  ['operator-keys', OPERATOR_KEY_MIGRATIONS],
  ['slurm', SLURM_MIGRATIONS],
]

export function migrateSqliteStore (db: SqliteDb): void {
  for (const [domain, migrations] of SQLITE_DOMAINS) applyMigrations(db, domain, migrations)
}
