import type { DashboardRepository } from '../dashboard-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'

export function createSqliteDashboardRepository (db: SqliteDb): DashboardRepository {
  void db
  return {}
}
