import type { AnalyticsRepository } from '../analytics-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'

export function createSqliteAnalyticsRepository (db: SqliteDb): AnalyticsRepository {
  void db
  return {}
}
