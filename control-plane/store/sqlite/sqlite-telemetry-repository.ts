import type { PruneRequest, TelemetryRepository } from '../telemetry-repository.ts'
import { createSqlTelemetryRepository } from '../sql/sql-telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { sqliteSqlDb } from './sqlite-sql-db.ts'
import { createSqliteInsertSamples } from './sqlite-insert-samples.ts'
import { createSqliteRebuildRollups } from './sqlite-rebuild-rollups.ts'
import { createSqliteGpuBlocks } from './sqlite-gpu-blocks.ts'
import { SQLITE_GPU_HEAD_SQL } from './sqlite-gpu-head.ts'

/**
 * Telemetry on SQLite: the shared reads, with SQLite's ingest, rollup rebuild and retention.
 * Those run as synchronous transactions (no await per row); serial() holds each back while
 * another handler's async transaction has the connection, so it never lands inside that one.
 */
export function createSqliteTelemetryRepository (db: SqliteDb): TelemetryRepository {
  const blocks = createSqliteGpuBlocks(db)
  const insertSamples = createSqliteInsertSamples(db, blocks)
  const rebuildRollups = createSqliteRebuildRollups(db, blocks)
  return createSqlTelemetryRepository(sqliteSqlDb(db), {
    async insertSamples (batches) {
      return db.serial(() => insertSamples(batches))
    },

    async rebuildRollups (fromMs, toMs) {
      await db.serial(() => rebuildRollups(fromMs, toMs))
    },

    // Bounded deletes, oldest first, so a write never stalls behind a big one.
    async prune ({ rawBefore, rollupBefore, limit }: PruneRequest) {
      return db.serial(() => db.tx(() => {
        // The oldest rows: the left edge of the (recorded_at, node_id, gpu_id) key.
        const raw = Number(db.stmt(`DELETE FROM gpu_stats WHERE id IN (
            SELECT id FROM gpu_stats WHERE recorded_at < ? LIMIT ?)`).run(rawBefore, limit).changes)
        const seconds = Number(db.stmt(`DELETE FROM gpu_power_second WHERE (scope_kind, scope_id, second_at) IN (
            SELECT scope_kind, scope_id, second_at FROM gpu_power_second WHERE second_at < ? LIMIT ?)`).run(rawBefore, limit).changes)
        const rollups = Number(db.stmt(`DELETE FROM gpu_rollup WHERE (scope_kind, scope_id, span_min, bucket_at) IN (
            SELECT scope_kind, scope_id, span_min, bucket_at FROM gpu_rollup WHERE bucket_at < ? LIMIT ?)`).run(rollupBefore, limit).changes)
        const compacted = blocks.prune(rawBefore, Math.max(1, Math.ceil(limit / 100)))
        return {
          deleted: raw + seconds + rollups + compacted.deleted,
          more: raw >= limit || seconds >= limit || rollups >= limit || compacted.more,
        }
      }))
    },

    async compact ({ before, limit, afterMs }) {
      return db.serial(() => db.tx(() => blocks.compact(before, limit, afterMs)))
    },
  }, SQLITE_GPU_HEAD_SQL)
}
