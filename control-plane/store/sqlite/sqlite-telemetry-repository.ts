import type {
  LatestFilter, LatestGpuSample, MinuteRollup, PowerBucket, PowerBucketQuery, PruneRequest, TelemetryRepository, TelemetryScope,
} from '../telemetry-repository.ts'
import { rollupSpans } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_NODE } from './sqlite-telemetry-migrations.ts'
import { createSqliteInsertSamples } from './sqlite-insert-samples.ts'
import { createSqliteRebuildRollups } from './sqlite-rebuild-rollups.ts'

export interface LatestRow {
  id: number, node_id: number, gpu_id: number, recorded_at: number, cluster_id: number | null, hostname: string | null,
  name: string, uuid: string | null, pci_bus_id: string | null, power_draw_w: number | null, temp_c: number | null,
  memory_used_mb: number | null, memory_total_mb: number | null, utilization_pct: number | null,
  power_draw_avg_w: number | null, power_limit_w: number | null, memory_temp_c: number | null,
  memory_reserved_mb: number | null, memory_utilization_pct: number | null, sm_clock_mhz: number | null,
  mem_clock_mhz: number | null, ecc_errors_corrected: number | null, ecc_errors_uncorrected: number | null
}

export interface RollupDbRow {
  bucket_at: number, power_max_w: number | null, power_sum_w: number, power_n: number, util_sum: number,
  util_n: number, util_max: number | null, temp_sum: number, temp_n: number, samples: number
}

export function scopeKey (scope: TelemetryScope): [number, number] {
  switch (scope.kind) {
    case 'fleet': return [SCOPE_FLEET, 0]
    case 'cluster': return [SCOPE_CLUSTER, scope.clusterId]
    case 'node': return [SCOPE_NODE, scope.nodeId]
  }
}

/** The coarsest rollup span whose UTC-aligned buckets nest inside every wall-clock bucket. */
export function spanFor (scope: TelemetryScope, bucketMinutes: number, offsetMinutes: number): number {
  let best = 1
  for (const span of rollupSpans(scope.kind)) {
    if (bucketMinutes % span === 0 && ((offsetMinutes % span) + span) % span === 0 && span > best) best = span
  }
  return best
}

/** One minute rollup row → record (shared by both engines). */
export function toMinuteRollup (r: RollupDbRow): MinuteRollup {
  return {
    minuteAt: r.bucket_at,
    powerMaxW: r.power_max_w,
    powerAvgW: r.power_n === 0 ? null : r.power_sum_w / r.power_n,
    utilizationAvgPct: r.util_n === 0 ? null : r.util_sum / r.util_n,
    utilizationMaxPct: r.util_max,
    tempAvgC: r.temp_n === 0 ? null : r.temp_sum / r.temp_n,
    samples: r.samples,
  }
}

/** One joined latest row → record (shared by both engines: same columns). */
export function toLatestSample (r: LatestRow): LatestGpuSample {
  return {
    id: r.id,
    nodeId: r.node_id,
    clusterId: r.cluster_id,
    hostname: r.hostname,
    gpuId: r.gpu_id,
    recordedAt: r.recorded_at,
    name: r.name,
    uuid: r.uuid,
    pciBusId: r.pci_bus_id,
    powerDrawW: r.power_draw_w,
    tempC: r.temp_c,
    memoryUsedMb: r.memory_used_mb,
    memoryTotalMb: r.memory_total_mb,
    utilizationPct: r.utilization_pct,
    powerDrawAvgW: r.power_draw_avg_w,
    powerLimitW: r.power_limit_w,
    memoryTempC: r.memory_temp_c,
    memoryReservedMb: r.memory_reserved_mb,
    memoryUtilizationPct: r.memory_utilization_pct,
    smClockMhz: r.sm_clock_mhz,
    memClockMhz: r.mem_clock_mhz,
    eccErrorsCorrected: r.ecc_errors_corrected,
    eccErrorsUncorrected: r.ecc_errors_uncorrected,
  }
}

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
