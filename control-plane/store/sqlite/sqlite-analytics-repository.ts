import type { AnalyticsRepository } from '../analytics-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { createSqliteInferenceRecords } from './sqlite-inference-records.ts'
import { createSqliteAnalyticsReads } from './sqlite-analytics-reads.ts'
import { createSqliteEndpoints } from './sqlite-endpoints.ts'

/** The analytics repository on SQLite: its own tables (domain 'analytics') plus reads of the shared ones. */
export function createSqliteAnalyticsRepository (db: SqliteDb): AnalyticsRepository {
  return {
    ...createSqliteInferenceRecords(db),
    ...createSqliteAnalyticsReads(db),
    ...createSqliteEndpoints(db),

    async listGlobalEnv () {
      const rows = db.stmt('SELECT key, value, updated_at FROM global_env ORDER BY key').all() as any[]
      return rows.map(r => ({ key: r.key, value: r.value, updatedAt: r.updated_at }))
    },

    async setGlobalEnv (key, value, at) {
      db.stmt(`INSERT INTO global_env (key, value, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`).run(key, value, at)
      return { key, value, updatedAt: at }
    },
  }
}
