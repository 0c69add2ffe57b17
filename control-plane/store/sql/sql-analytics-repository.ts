import type { AnalyticsRepository } from '../analytics-repository.ts'
import type { SqlDb } from '../sql-db.ts'
import { createSqlInferenceRecords } from './sql-inference-records.ts'
import { createSqlAnalyticsReads } from './sql-analytics-reads.ts'
import { createSqlEndpoints } from './sql-endpoints.ts'

/** The analytics repository: its own tables (domain 'analytics') plus reads of the shared ones. */
export function createSqlAnalyticsRepository (db: SqlDb): AnalyticsRepository {
  return {
    ...createSqlInferenceRecords(db),
    ...createSqlAnalyticsReads(db),
    ...createSqlEndpoints(db),

    async listGlobalEnv () {
      const rows = await db.all<{ key: string, value: string, updated_at: number }>('SELECT key, value, updated_at FROM global_env ORDER BY key')
      return rows.map(r => ({ key: r.key, value: r.value, updatedAt: r.updated_at }))
    },

    async setGlobalEnv (key, value, at) {
      await db.run(`INSERT INTO global_env (key, value, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, at)
      return { key, value, updatedAt: at }
    },
  }
}
