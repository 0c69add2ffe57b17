import type { Store } from '../store.ts'
import { openPgDb, type PgDb } from './pg-db.ts'
import { isUniqueViolation } from './pg-errors.ts'
import { createSqlApiKeyRepository } from '../sql/sql-api-key-repository.ts'
import { createSqlFleetRepository } from '../sql/sql-fleet-repository.ts'
import { createPgTelemetryRepository } from './pg-telemetry-repository.ts'
import { createSqlGpuHistoryRepository } from '../sql/sql-gpu-history-repository.ts'
import { createSqlTenantRepository } from '../sql/sql-tenant-repository.ts'
import { migratePgStore } from './migrate-pg-store.ts'
import { createSqlJobRepository } from '../sql/sql-job-repository.ts'
import { pgJobHotPaths } from './pg-job-hot-paths.ts'
import { createSqlBillingRepository } from '../sql/sql-billing-repository.ts'
import { createSqlAlertRepository } from '../sql/sql-alert-repository.ts'
import { createSqlDashboardRepository } from '../sql/sql-dashboard-repository.ts'
import { PG_UTILIZATION_SQL } from './pg-utilization-sql.ts'
import { createSqlAnalyticsRepository } from '../sql/sql-analytics-repository.ts'
import { createSqlSessionRepository } from '../sql/sql-session-repository.ts'
import { cacheActiveKeys } from '../cache-active-keys.ts'
import { createSqlOperatorKeyRepository } from '../sql/sql-operator-key-repository.ts'
import { createSqlJobLogRepository } from '../sql/sql-job-log-repository.ts'
import { createSqlProcessRepository } from '../sql/sql-process-repository.ts'
import { createSqlSlurmRepository } from '../sql/sql-slurm-repository.ts'

export interface PostgresStoreOptions {
  /** Schema for every table (created if missing); default: the connection's search_path (public). */
  schema?: string | undefined
  /** Pool size per process. */
  maxConnections?: number | undefined
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Opens the PostgreSQL store at `url` (postgres://…) and applies pending migrations. */
export async function openPostgresStore (url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) throw new Error(`invalid schema name: ${options.schema}`)
  const db = openPgDb({ connectionString: url, schema: options.schema, max: options.maxConnections })
  try {
    if (options.schema !== undefined) await createSchema(db, options.schema)
    await migratePgStore(db)
    const fleet = createSqlFleetRepository(db)
    const apiKeys = createSqlApiKeyRepository(db)
    const telemetry = await createPgTelemetryRepository(db)
    const tenants = createSqlTenantRepository(db)
    const jobs = createSqlJobRepository(db, pgJobHotPaths(db))
    const billing = createSqlBillingRepository(db)
    const alerts = createSqlAlertRepository(db)
    const analytics = createSqlAnalyticsRepository(db)
    const sessions = createSqlSessionRepository(db)
    const operatorKeys = createSqlOperatorKeyRepository(db)
    return {
      engine: 'postgres',
      // Hits reused for 5 s; a revoke on this replica drops the key at once, on another within 5 s.
      apiKeys: cacheActiveKeys(apiKeys),
      fleet,
      telemetry,
      tenants,
      jobs,
      billing,
      alerts,
      dashboard: createSqlDashboardRepository(db, PG_UTILIZATION_SQL),
      analytics,
      sessions,
      operatorKeys,
      jobLogs: createSqlJobLogRepository(db),
      processes: createSqlProcessRepository(db),
      slurm: createSqlSlurmRepository(db),
      gpuHistory: createSqlGpuHistoryRepository(db),
      async close () { await db.close() },
    }
  } catch (err) {
    await db.close()
    throw err
  }
}

const DUPLICATE_SCHEMA = '42P06'

/**
 * CREATE SCHEMA IF NOT EXISTS is not atomic: two replicas starting on an empty database can
 * both miss the schema, and the second then fails on the catalog's unique index (23505) or
 * with duplicate_schema (42P06). Either way the schema exists, which is all this asks.
 */
async function createSchema (db: PgDb, schema: string): Promise<void> {
  try {
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  } catch (err) {
    if (!isUniqueViolation(err) && (err as { code?: unknown }).code !== DUPLICATE_SCHEMA) throw err
  }
}
