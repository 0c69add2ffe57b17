import type { AnalyticsRepository } from '../analytics-repository.ts'
import type { PgDb } from './pg-db.ts'
import { createPgInferenceRecords } from './pg-inference-records.ts'
import { createPgAnalyticsReads } from './pg-analytics-reads.ts'
import { createPgEndpoints } from './pg-endpoints.ts'

/** The analytics repository on PostgreSQL: its own tables (domain 'analytics') plus reads of the shared ones. */
export async function createPgAnalyticsRepository (db: PgDb): Promise<AnalyticsRepository> {
  return {
    ...createPgInferenceRecords(db),
    ...createPgAnalyticsReads(db),
    ...createPgEndpoints(db),

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
