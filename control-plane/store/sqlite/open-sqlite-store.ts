import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Store } from '../store.ts'
import { openSqliteDb } from './sqlite-db.ts'
import { createSqliteApiKeyRepository } from './sqlite-api-key-repository.ts'
import { createSqliteFleetRepository } from './sqlite-fleet-repository.ts'
import { createSqliteTelemetryRepository } from './sqlite-telemetry-repository.ts'
import { createSqliteTenantRepository } from './sqlite-tenant-repository.ts'
import { createSqliteJobRepository } from './sqlite-job-repository.ts'
import { createSqliteBillingRepository } from './sqlite-billing-repository.ts'
import { createSqliteAlertRepository } from './sqlite-alert-repository.ts'
import { createSqliteDashboardRepository } from './sqlite-dashboard-repository.ts'
import { createSqliteAnalyticsRepository } from './sqlite-analytics-repository.ts'
import { createSqliteSessionRepository } from './sqlite-session-repository.ts'

/** Opens (creating if needed) the SQLite store at `path` (':memory:' for tests) and migrates it. */
export async function openSqliteStore (path: string): Promise<Store> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = openSqliteDb(path)
  return {
    engine: 'sqlite',
    apiKeys: createSqliteApiKeyRepository(db),
    fleet: createSqliteFleetRepository(db),
    telemetry: createSqliteTelemetryRepository(db),
    // Order: tables referenced by later domains first (clusters/gpus → tenants → jobs → rates).
    tenants: createSqliteTenantRepository(db),
    jobs: createSqliteJobRepository(db),
    billing: createSqliteBillingRepository(db),
    alerts: createSqliteAlertRepository(db),
    dashboard: createSqliteDashboardRepository(db),
    analytics: createSqliteAnalyticsRepository(db),
    sessions: createSqliteSessionRepository(db),
    async close () { db.close() },
  }
}
