import type {
  LatestFilter, LatestGpuSample, MinuteRollup, PowerBucket, PowerBucketQuery, PruneRequest, TelemetryRepository, TelemetryScope,
} from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_NODE } from '../sqlite/sqlite-telemetry-migrations.ts'
import type { PgDb } from './pg-db.ts'
import { applyPgMigrations } from './apply-pg-migrations.ts'
import { PG_TELEMETRY_MIGRATIONS } from './pg-telemetry-migrations.ts'
import { createDayPartitions, DAY_MS, PARTITIONED_TABLES, type PartitionedTable } from './pg-day-partitions.ts'
import { createPgInsertSamples } from './pg-insert-samples.ts'
import { createPgRebuildRollups } from './pg-rebuild-rollups.ts'

interface RollupDbRow {
  bucket_at: number, power_max_w: number | null, power_sum_w: number, power_n: number, util_sum: number,
  util_n: number, util_max: number | null, temp_sum: number, temp_n: number, samples: number
}

function scopeKey (scope: TelemetryScope): [number, number] {
  switch (scope.kind) {
    case 'fleet': return [SCOPE_FLEET, 0]
    case 'cluster': return [SCOPE_CLUSTER, scope.clusterId]
    case 'node': return [SCOPE_NODE, scope.nodeId]
  }
}

/** The coarsest rollup span whose UTC-aligned buckets nest inside every wall-clock bucket. */
function spanFor (scope: TelemetryScope, bucketMinutes: number, offsetMinutes: number): number {
  let best = 1
  for (const span of rollupSpans(scope.kind)) {
    if (bucketMinutes % span === 0 && ((offsetMinutes % span) + span) % span === 0 && span > best) best = span
  }
  return best
}

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
  await applyPgMigrations(db, 'telemetry', PG_TELEMETRY_MIGRATIONS)
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
        const n = (await q.one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${p.name}`))!.n
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
      const rows = await db.all(`SELECT s.*, i.cluster_id, i.hostname, i.name, i.uuid, i.pci_bus_id
        FROM gpu_stats_latest AS l
        JOIN gpu_identity AS i ON i.node_id = l.node_id AND i.gpu_id = l.gpu_id
        JOIN gpu_stats AS s ON s.node_id = l.node_id AND s.recorded_at = l.recorded_at AND s.gpu_id = l.gpu_id
        ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY l.node_id, l.gpu_id`, ...params)
      return rows.map((r): LatestGpuSample => ({
        id: r.id as number,
        nodeId: r.node_id as number,
        clusterId: r.cluster_id as number | null,
        hostname: r.hostname as string | null,
        gpuId: r.gpu_id as number,
        recordedAt: r.recorded_at as number,
        name: r.name as string,
        uuid: r.uuid as string | null,
        pciBusId: r.pci_bus_id as string | null,
        powerDrawW: r.power_draw_w as number | null,
        tempC: r.temp_c as number | null,
        memoryUsedMb: r.memory_used_mb as number | null,
        memoryTotalMb: r.memory_total_mb as number | null,
        utilizationPct: r.utilization_pct as number | null,
        powerDrawAvgW: r.power_draw_avg_w as number | null,
        powerLimitW: r.power_limit_w as number | null,
        memoryTempC: r.memory_temp_c as number | null,
        memoryReservedMb: r.memory_reserved_mb as number | null,
        memoryUtilizationPct: r.memory_utilization_pct as number | null,
        smClockMhz: r.sm_clock_mhz as number | null,
        memClockMhz: r.mem_clock_mhz as number | null,
        eccErrorsCorrected: r.ecc_errors_corrected as number | null,
        eccErrorsUncorrected: r.ecc_errors_uncorrected as number | null,
      }))
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
      return rows.map((r): MinuteRollup => ({
        minuteAt: r.bucket_at,
        powerMaxW: r.power_max_w,
        powerAvgW: r.power_n === 0 ? null : r.power_sum_w / r.power_n,
        utilizationAvgPct: r.util_n === 0 ? null : r.util_sum / r.util_n,
        utilizationMaxPct: r.util_max,
        tempAvgC: r.temp_n === 0 ? null : r.temp_sum / r.temp_n,
        samples: r.samples,
      }))
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
