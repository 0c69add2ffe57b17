import type { PruneRequest, TelemetryRepository } from '../telemetry-repository.ts'
import { createSqlTelemetryRepository } from '../sql/sql-telemetry-repository.ts'
import type { PgDb } from './pg-db.ts'
import { createDayPartitions, DAY_MS, PARTITIONED_TABLES, type PartitionedTable } from './pg-day-partitions.ts'
import { createPgInsertSamples } from './pg-insert-samples.ts'
import { createPgRebuildRollups } from './pg-rebuild-rollups.ts'
import { createPgGpuBlocks } from './pg-gpu-blocks.ts'

const TIME_COLUMN: Record<PartitionedTable, string> = { gpu_stats: 'recorded_at', gpu_power_second: 'second_at', gpu_rollup: 'bucket_at' }

export async function createPgTelemetryRepository (db: PgDb): Promise<TelemetryRepository> {
  const partitions = createDayPartitions(db)
  // Today and tomorrow exist before the first push of the day needs them.
  const now = Date.now()
  await partitions.ensure([now, now + DAY_MS])
  const insertSamples = createPgInsertSamples(db, partitions)
  const blocks = createPgGpuBlocks(db)
  const rebuildRollups = createPgRebuildRollups(db, blocks)

  /** Retention for one table: DROP the whole days before the cutoff, then a bounded DELETE in the cutoff's own day. */
  const pruneTable = async (table: PartitionedTable, before: number, limit: number): Promise<{ deleted: number, more: boolean }> => {
    return db.tx('gpufleet:telemetry-partitions', async q => {
      let deleted = 0
      for (const p of await partitions.droppable(q, table, before)) {
        // Counted up to `limit` only: a day of a big fleet is billions of rows, and the count
        // just tells the caller whether to come back (a dropped day reports at most `limit`).
        const n = (await q.one<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${p.name} LIMIT ?) AS d`, limit))!.n
        await q.exec(`DROP TABLE ${p.name}`)
        partitions.dropped(p.dayAt)
        deleted += n
        if (deleted >= limit) return { deleted, more: true }
      }
      const edge = partitions.nameOf(table, before)
      const exists = await q.one<{ r: string | null }>('SELECT to_regclass(?)::text AS r', edge)
      if (exists?.r != null && before % DAY_MS !== 0) {
        deleted += await q.run(`DELETE FROM ${edge} WHERE ctid IN (
          SELECT ctid FROM ${edge} WHERE ${TIME_COLUMN[table]} < ? LIMIT ?)`, before, limit)
      }
      return { deleted, more: deleted >= limit }
    })
  }

  return createSqlTelemetryRepository(db, {
    insertSamples,
    rebuildRollups,

    async prune ({ rawBefore, rollupBefore, limit }: PruneRequest) {
      let deleted = 0
      let more = false
      for (const table of PARTITIONED_TABLES) {
        const r = await pruneTable(table, table === 'gpu_rollup' ? rollupBefore : rawBefore, limit)
        deleted += r.deleted
        more ||= r.more
      }
      const compacted = await blocks.prune(rawBefore, Math.max(1, Math.ceil(limit / 100)))
      return { deleted: deleted + compacted.deleted, more: more || compacted.more }
    },

    async compact ({ before, limit, afterMs }) {
      return blocks.compact(before, limit, afterMs)
    },
  })
}
