import type { CompactRequest, CompactResult, PruneRequest, PruneResult, SampleBatch, SampleBatchResult } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { createSqliteInsertSamples } from './sqlite-insert-samples.ts'
import { createSqliteRebuildRollups } from './sqlite-rebuild-rollups.ts'
import { createSqliteGpuBlocks } from './sqlite-gpu-blocks.ts'

/** SQLite's telemetry writes, each one synchronous transaction on `db`. */
export interface SqliteTelemetryWrites {
  insertSamples: (batches: readonly SampleBatch[]) => SampleBatchResult[]
  rebuildRollups: (fromMs: number, toMs: number) => void
  prune: (request: PruneRequest) => PruneResult
  compact: (request: CompactRequest) => CompactResult
}

/**
 * The one writer of SQLite's telemetry tables: on the telemetry writer thread for a file
 * database (open-telemetry-writer.ts), on the event loop for ':memory:'. It holds what only
 * the writing connection may cache: the identity cache and the compacted-blocks watermark.
 */
export function createSqliteTelemetryWrites (db: SqliteDb): SqliteTelemetryWrites {
  const blocks = createSqliteGpuBlocks(db)
  const insertSamples = createSqliteInsertSamples(db, blocks)
  const rebuildRollups = createSqliteRebuildRollups(db, blocks)
  return {
    insertSamples,
    rebuildRollups,

    // Bounded deletes, oldest first, so a write never stalls behind a big one.
    prune ({ rawBefore, rollupBefore, limit }) {
      return db.tx(() => {
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
      })
    },

    compact ({ before, limit, afterMs }) {
      return db.tx(() => blocks.compact(before, limit, afterMs))
    },
  }
}
