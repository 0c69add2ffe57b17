import type { JobRepository } from '../job-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { applyMigrations } from './apply-migrations.ts'
import { JOB_MIGRATIONS } from './sqlite-scheduling-migrations.ts'

export function createSqliteJobRepository (db: SqliteDb): JobRepository {
  applyMigrations(db, 'jobs', JOB_MIGRATIONS)
  return {}
}
