import type { LatestFilter, PowerBucket, PowerBucketQuery, TelemetryRepository } from '../telemetry-repository.ts'
import type { SqlDb } from '../sql-db.ts'
import { countBlockRows, gpuHistory, type GpuHeadSql } from './gpu-block-reads.ts'
import { scopeKey, spanFor, toLatestSample, toMinuteRollup, type LatestRow, type RollupDbRow } from './telemetry-rows.ts'

/**
 * What each engine writes its own way: the group-commit ingest, rollup rebuilds and retention
 * (SQLite deletes bounded batches; PostgreSQL drops whole day partitions). These are the hot
 * paths, tuned per engine; everything else is read here once.
 */
export type TelemetryWrites = Pick<TelemetryRepository, 'insertSamples' | 'rebuildRollups' | 'prune' | 'compact'>

// Power buckets: coarse rows for the aligned middle, minute rows for the ragged head and tail.
// The CASTs keep the wall-clock arithmetic integer division on both engines.
const WALL = `((bucket_at + CAST(? AS BIGINT)) / 86400000) * 86400000
  + (((bucket_at + CAST(? AS BIGINT)) % 86400000) / CAST(? AS BIGINT)) * CAST(? AS BIGINT)`
const PART = `SELECT ${WALL} AS wall, power_max_w AS p FROM gpu_rollup
  WHERE scope_kind = ? AND scope_id = ? AND span_min = ? AND bucket_at >= ? AND bucket_at < ?`
const BUCKETS = `SELECT wall, MAX(p) AS p FROM (${PART} UNION ALL ${PART} UNION ALL ${PART}) AS u
  WHERE p IS NOT NULL GROUP BY wall ORDER BY wall`

/** The telemetry repository over one SqlDb: the reads, with the engine's writes (and its one GPU's raw-row SQL) passed in. */
export function createSqlTelemetryRepository (db: SqlDb, writes: TelemetryWrites, gpuHead?: GpuHeadSql): TelemetryRepository {
  return {
    insertSamples: writes.insertSamples,
    rebuildRollups: writes.rebuildRollups,
    prune: writes.prune,
    compact: writes.compact,

    async gpuHistory (nodeId, gpuId, fromMs, toMs) {
      return gpuHistory(db, nodeId, gpuId, fromMs, toMs, gpuHead)
    },

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
      const offsetMs = q.offsetMinutes * 60_000
      const bucketMs = q.bucketMinutes * 60_000
      const part = (spanMin: number, from: number, to: number) => [offsetMs, offsetMs, bucketMs, bucketMs, kind, id, spanMin, from, to]
      const rows = await db.all<{ wall: number, p: number }>(BUCKETS,
        ...part(1, q.fromMs, midFrom), ...part(span, midFrom, midTo), ...part(1, midTo, q.toMs))
      return rows.map(r => ({ wallMs: Number(r.wall), powerDrawW: r.p }))
    },

    async minuteRollups (scope, fromMs, toMs) {
      const [kind, id] = scopeKey(scope)
      const rows = await db.all<RollupDbRow>(`SELECT * FROM gpu_rollup WHERE scope_kind = ? AND scope_id = ? AND span_min = 1
        AND bucket_at >= ? AND bucket_at < ? ORDER BY bucket_at`, kind, id, fromMs, toMs)
      return rows.map(toMinuteRollup)
    },

    async countSamples (filter = {}) {
      const where: string[] = []
      const params: number[] = []
      if (filter.nodeId !== undefined) { where.push('node_id = ?'); params.push(filter.nodeId) }
      if (filter.fromMs !== undefined) { where.push('recorded_at >= ?'); params.push(filter.fromMs) }
      if (filter.toMs !== undefined) { where.push('recorded_at < ?'); params.push(filter.toMs) }
      const row = await db.one<{ n: number }>(`SELECT COUNT(*) AS n FROM gpu_stats ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`, ...params)
      return Number(row!.n) + await countBlockRows(db, filter)
    },
  }
}
