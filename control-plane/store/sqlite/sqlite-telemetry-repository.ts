import type { LatestFilter, PowerBucket, PowerBucketQuery, PruneRequest, TelemetryRepository } from '../telemetry-repository.ts'
import { scopeKey, spanFor, toLatestSample, toMinuteRollup, type LatestRow, type RollupDbRow } from '../sql/telemetry-rows.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { createSqliteInsertSamples } from './sqlite-insert-samples.ts'
import { createSqliteRebuildRollups } from './sqlite-rebuild-rollups.ts'

export function createSqliteTelemetryRepository (db: SqliteDb): TelemetryRepository {
  const insertSamples = createSqliteInsertSamples(db)
  const rebuildRollups = createSqliteRebuildRollups(db)

  // Coarse rows for the aligned middle, minute rows for the ragged head and tail. BigInt
  // parameters bind as INTEGER, so the bucket arithmetic stays integer division.
  const wall = '((bucket_at + ?1) / 86400000) * 86400000 + (((bucket_at + ?1) % 86400000) / ?2) * ?2'
  const part = (span: string, from: string, to: string) =>
    `SELECT ${wall} AS wall, power_max_w AS p FROM gpu_rollup
     WHERE scope_kind = ?3 AND scope_id = ?4 AND span_min = ${span} AND bucket_at >= ${from} AND bucket_at < ${to}`
  const bucketsSql = `SELECT wall, MAX(p) AS p FROM (
      ${part('1', '?5', '?6')} UNION ALL ${part('?9', '?6', '?7')} UNION ALL ${part('1', '?7', '?8')}
    ) WHERE p IS NOT NULL GROUP BY wall ORDER BY wall`

  return {
    async insertSamples (batches) {
      return insertSamples(batches)
    },

    async latest (filter: LatestFilter = {}) {
      const where: string[] = []
      const params: Array<number | string> = []
      if (filter.nodeId !== undefined) { where.push('l.node_id = ?'); params.push(filter.nodeId) }
      if (filter.clusterId !== undefined) { where.push('i.cluster_id = ?'); params.push(filter.clusterId) }
      if (filter.hostname !== undefined) { where.push('i.hostname = ?'); params.push(filter.hostname) }
      const rows = db.stmt(`SELECT s.*, i.cluster_id, i.hostname, i.name, i.uuid, i.pci_bus_id
        FROM gpu_stats_latest AS l
        JOIN gpu_identity AS i ON i.node_id = l.node_id AND i.gpu_id = l.gpu_id
        JOIN gpu_stats AS s ON s.node_id = l.node_id AND s.recorded_at = l.recorded_at AND s.gpu_id = l.gpu_id
        ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
        ORDER BY l.node_id, l.gpu_id`).all(...params) as unknown as LatestRow[]
      return rows.map(toLatestSample)
    },

    async powerBuckets (q: PowerBucketQuery): Promise<PowerBucket[]> {
      const [kind, id] = scopeKey(q.scope)
      const span = spanFor(q.scope, q.bucketMinutes, q.offsetMinutes)
      const spanMs = span * 60_000
      let midFrom = Math.ceil(q.fromMs / spanMs) * spanMs
      let midTo = Math.floor(q.toMs / spanMs) * spanMs
      if (midTo <= midFrom) midFrom = midTo = q.toMs
      const rows = db.stmt(bucketsSql).all(
        BigInt(q.offsetMinutes * 60_000), BigInt(q.bucketMinutes * 60_000), kind, id,
        q.fromMs, midFrom, midTo, q.toMs, BigInt(span),
      ) as Array<{ wall: number, p: number }>
      return rows.map(r => ({ wallMs: r.wall, powerDrawW: r.p }))
    },

    async minuteRollups (scope, fromMs, toMs) {
      const [kind, id] = scopeKey(scope)
      const rows = db.stmt(`SELECT * FROM gpu_rollup WHERE scope_kind = ? AND scope_id = ? AND span_min = 1
        AND bucket_at >= ? AND bucket_at < ? ORDER BY bucket_at`).all(kind, id, fromMs, toMs) as unknown as RollupDbRow[]
      return rows.map(toMinuteRollup)
    },

    async prune ({ rawBefore, rollupBefore, limit }: PruneRequest) {
      return db.tx(() => {
        // The oldest rows: the left edge of the (recorded_at, node_id, gpu_id) key.
        const raw = Number(db.stmt(`DELETE FROM gpu_stats WHERE id IN (
            SELECT id FROM gpu_stats WHERE recorded_at < ? LIMIT ?)`).run(rawBefore, limit).changes)
        const seconds = Number(db.stmt(`DELETE FROM gpu_power_second WHERE (scope_kind, scope_id, second_at) IN (
            SELECT scope_kind, scope_id, second_at FROM gpu_power_second WHERE second_at < ? LIMIT ?)`).run(rawBefore, limit).changes)
        const rollups = Number(db.stmt(`DELETE FROM gpu_rollup WHERE (scope_kind, scope_id, span_min, bucket_at) IN (
            SELECT scope_kind, scope_id, span_min, bucket_at FROM gpu_rollup WHERE bucket_at < ? LIMIT ?)`).run(rollupBefore, limit).changes)
        return { deleted: raw + seconds + rollups, more: raw >= limit || seconds >= limit || rollups >= limit }
      })
    },

    async countSamples (filter = {}) {
      const where: string[] = []
      const params: number[] = []
      if (filter.nodeId !== undefined) { where.push('node_id = ?'); params.push(filter.nodeId) }
      if (filter.fromMs !== undefined) { where.push('recorded_at >= ?'); params.push(filter.fromMs) }
      if (filter.toMs !== undefined) { where.push('recorded_at < ?'); params.push(filter.toMs) }
      const row = db.stmt(`SELECT COUNT(*) AS n FROM gpu_stats ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}`)
        .get(...params) as { n: number }
      return row.n
    },

    async rebuildRollups (fromMs, toMs) {
      rebuildRollups(fromMs, toMs)
    },
  }
}
