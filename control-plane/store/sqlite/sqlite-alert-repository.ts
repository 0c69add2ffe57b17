import type { AlertRepository } from '../alert-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'

export function createSqliteAlertRepository (db: SqliteDb): AlertRepository {
  void db
  return {}
}
