import type { PgDb } from './pg-db.ts'
import { applyPgMigrations, type PgMigration } from './apply-pg-migrations.ts'
import { PG_FLEET_MIGRATIONS } from './pg-fleet-migrations.ts'
import { PG_API_KEY_MIGRATIONS } from './pg-api-key-migrations.ts'
import { PG_TELEMETRY_MIGRATIONS } from './pg-telemetry-migrations.ts'
import { PG_BILLING_MIGRATIONS_V1, PG_JOB_MIGRATIONS, PG_TENANT_MIGRATIONS } from './pg-scheduling-migrations.ts'
import { PG_BILLING_MIGRATIONS_V2, PG_BILLING_MIGRATIONS_V3 } from './pg-billing-migrations.ts'
import { PG_ALERT_MIGRATIONS } from './pg-alert-migrations.ts'
import { PG_ANALYTICS_MIGRATIONS } from './pg-analytics-migrations.ts'
import { PG_SESSION_MIGRATIONS } from './pg-session-migrations.ts'
import { PG_OPERATOR_KEY_MIGRATIONS } from './pg-operator-key-migrations.ts'
import { PG_SLURM_MIGRATIONS } from './pg-slurm-migrations.ts'

/** The SQLite store's domains and order (migrate-sqlite-store.ts), in PostgreSQL's SQL. */
export const PG_DOMAINS: ReadonlyArray<readonly [domain: string, migrations: readonly PgMigration[]]> = [
  ['fleet', PG_FLEET_MIGRATIONS],
  ['api-key', PG_API_KEY_MIGRATIONS],
  ['telemetry', PG_TELEMETRY_MIGRATIONS],
  ['tenants', PG_TENANT_MIGRATIONS],
  ['jobs', PG_JOB_MIGRATIONS],
  ['billing', [PG_BILLING_MIGRATIONS_V1, PG_BILLING_MIGRATIONS_V2, PG_BILLING_MIGRATIONS_V3]],
  ['alerts', PG_ALERT_MIGRATIONS],
  ['analytics', PG_ANALYTICS_MIGRATIONS],
  ['sessions', PG_SESSION_MIGRATIONS],
  ['operator-keys', PG_OPERATOR_KEY_MIGRATIONS],
  ['slurm', PG_SLURM_MIGRATIONS],
]

export async function migratePgStore (db: PgDb): Promise<void> {
  for (const [domain, migrations] of PG_DOMAINS) await applyPgMigrations(db, domain, migrations)
}
