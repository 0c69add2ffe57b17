import type {
  LatestFilter, PowerBucket, PowerBucketQuery, PruneRequest, TelemetryRepository,
} from '../telemetry-repository.ts'
import { scopeKey, spanFor, toLatestSample, toMinuteRollup, type LatestRow, type RollupDbRow } from '../sql/telemetry-rows.ts'
import type { PgDb } from './pg-db.ts'
import { createDayPartitions, DAY_MS, PARTITIONED_TABLES, type PartitionedTable } from './pg-day-partitions.ts'
import { createPgInsertSamples } from './pg-insert-samples.ts'
import { createPgRebuildRollups } from './pg-rebuild-rollups.ts'


const TIME_COLUMN: Record<PartitionedTable, string> = { gpu_stats: 'recorded_at', gpu_power_second: 'second_at', gpu_rollup: 'bucket_at' }

// Coarse rows for the aligned middle, minute rows for the ragged head and tail (bigint arithmetic: integer division).
const WALL = '((bucket_at + $1::bigint) / 86400000) * 86400000 + (((bucket_at + $1::bigint) % 86400000) / $2::bigint) * $2::bigint'
const part = (span: string, from: string, to: string) =>
  `SELECT ${WALL} AS wall, power_max_w AS p FROM gpu_rollup
   WHERE scope_kind = $3 AND scope_id = $4 AND span_min = ${span} AND bucket_at >= ${from} AND bucket_at < ${to}`
const BUCKETS = `SELECT wall, MAX(p) AS p FROM (
    ${part('1', '$5', '$6')} UNION ALL ${part('$9', '$6', '$7')} UNION ALL ${part('1', '$7', '$8')}
  ) AS u WHERE p IS NOT NULL GROUP BY wall ORDER BY wall`

export async function createPgTelemetryRepository (db: PgDb): Promise<TelemetryRepository> {
  const partitions = createDayPartitions(db)
  // Today and tomorrow exist before the first push of the day needs them.
  const now = Date.now()
  await partitions.ensure([now, now + DAY_MS])
  const insertSamples = createPgInsertSamples(db, partitions)
  const rebuildRollups = createPgRebuildRollups(db)

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

  return {
    insertSamples,

    async latest (filter: LatestFilter = {}) {
      const where: string[] = []
      const params: Array<number | string> = []
      if (filter.nodeId !== undefined) { where.push('l.node_id = ?'); params.push(filter.nodeId) }
      if (filter.clusterId !== undefined) { where.push('i.cluster_id = ?'); params.push(filter.clusterId) }
      if (filter.hostname !== undefined) { where.push('i.hostname = ?'); params.push(filter.hostname) }
      const rows = await db.all<LatestRow>(`SELECT s.*, i.cluster_id, i.hostname, i.name, i.uuid, i.pci_bus_id
        FROM gpu_stats_latest AS l
        JOIN gpu_identity AS i ON i.node_id = l.node_id AND i.gpu_id = l.gpu_id
        JOIN gpu_stats AS s ON s.node_id = l.node_id AND s.recorded_at = l.recorded_at AND s.gpu_id = l.gpu_id
        ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY l.node_id, l.gpu_id`, ...params)
      return rows.map(toLatestSample)
    },

    async powerBuckets (q: PowerBucketQuery): Promise<PowerBucket[]> {
      const [kind, id] = scopeKey(q.scope)
      const span = spanFor(q.scope, q.bucketMinutes, q.offsetMinutes)
      const spanMs = span * 60_000
      let midFrom = Math.ceil(q.fromMs / spanMs) * spanMs
      let midTo = Math.floor(q.toMs / spanMs) * spanMs
      if (midTo <= midFrom) midFrom = midTo = q.toMs
      const { rows } = await db.pool.query<{ wall: number, p: number }>(BUCKETS, [
        q.offsetMinutes * 60_000, q.bucketMinutes * 60_000, kind, id, q.fromMs, midFrom, midTo, q.toMs, span,
      ])
      return rows.map(r => ({ wallMs: r.wall, powerDrawW: r.p }))
    },

    async minuteRollups (scope, fromMs, toMs) {
      const [kind, id] = scopeKey(scope)
      const rows = await db.all<RollupDbRow>(`SELECT * FROM gpu_rollup WHERE scope_kind = ? AND scope_id = ? AND span_min = 1
        AND bucket_at >= ? AND bucket_at < ? ORDER BY bucket_at`, kind, id, fromMs, toMs)
      return rows.map(toMinuteRollup)
    },

    async prune ({ rawBefore, rollupBefore, limit }: PruneRequest) {
      let deleted = 0
      let more = false
      for (const table of PARTITIONED_TABLES) {
        const r = await pruneTable(table, table === 'gpu_rollup' ? rollupBefore : rawBefore, limit)
        deleted += r.deleted
        more ||= r.more
      }
      return { deleted, more }
    },

    async countSamples (filter = {}) {
      const where: string[] = []
      const params: number[] = []
      if (filter.nodeId !== undefined) { where.push('node_id = ?'); params.push(filter.nodeId) }
      if (filter.fromMs !== undefined) { where.push('recorded_at >= ?'); params.push(filter.fromMs) }
      if (filter.toMs !== undefined) { where.push('recorded_at < ?'); params.push(filter.toMs) }
      const row = await db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM gpu_stats ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`, ...params)
      return row!.n
    },

    rebuildRollups,
  }
}
