import type { DashboardRepository } from '../dashboard-repository.ts'
import { createDashboardReads } from '../sqlite/sqlite-dashboard-repository.ts'
import type { PgDb } from './pg-db.ts'
import { createPgUtilizationQueries } from './pg-utilization-queries.ts'

/** The shared dashboard reads on PostgreSQL, with the utilization queries in its dialect. Read-only. */
export function createPgDashboardRepository (db: PgDb): DashboardRepository {
  return createDashboardReads((sql, ...args) => db.all(sql, ...args), createPgUtilizationQueries(db))
}
