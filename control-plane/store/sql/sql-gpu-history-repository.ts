import type { SqlDb, SqlQuery } from '../sql-db.ts'
import {
  HISTORY_BUCKET_MS, HISTORY_HOUR_MS, type DirtyBucket, type GpuHistoryRepository,
} from '../gpu-history-repository.ts'
import { toHistoryBucket, type HistoryDbRow } from './gpu-history-rows.ts'

// PostgreSQL serializes the writers of every replica on this (the loop runs on the leader only,
// but a replica that just lost the lease may still be finishing a pass).
const LOCK = 'gpufleet:gpu-history'

// The readings of gpu_stats summed, counted and maxed. COALESCE: SUM over only NULLs is NULL.
const RAW_AGG = `COUNT(*) AS samples,
  COALESCE(SUM(utilization_pct), 0) AS util_sum, COUNT(utilization_pct) AS util_n, MAX(utilization_pct) AS util_max,
  COALESCE(SUM(temp_c), 0) AS temp_sum, COUNT(temp_c) AS temp_n, MAX(temp_c) AS temp_max,
  COALESCE(SUM(memory_used_mb), 0) AS mem_sum, COUNT(memory_used_mb) AS mem_n, MAX(memory_used_mb) AS mem_max,
  MAX(memory_total_mb) AS mem_total,
  COALESCE(SUM(power_draw_w), 0) AS power_sum, COUNT(power_draw_w) AS power_n, MAX(power_draw_w) AS power_max`
// Raw rows in a time range, bucketed by a step: the (recorded_at, node_id, gpu_id) key's
// leading column bounds the scan on SQLite, day partitions and the node-first key on PostgreSQL.
const RAW_BUCKETS = (where: string) => `SELECT node_id, gpu_id, b AS bucket_at, ${RAW_AGG}
  FROM (SELECT s.*, (recorded_at / CAST(? AS BIGINT)) * CAST(? AS BIGINT) AS b FROM gpu_stats AS s
    WHERE recorded_at >= ? AND recorded_at < ?${where}) AS r
  GROUP BY node_id, gpu_id, b`

const VALUES = ['samples', 'util_sum', 'util_n', 'util_max', 'temp_sum', 'temp_n', 'temp_max', 'mem_sum', 'mem_n', 'mem_max',
  'mem_total', 'power_sum', 'power_n', 'power_max'] as const
const COLUMNS = ['node_id', 'span_min', 'bucket_at', 'gpu_id', ...VALUES] as const
const UPSERT_SET = `ON CONFLICT (node_id, span_min, bucket_at, gpu_id) DO UPDATE SET
  ${VALUES.map(c => `${c} = excluded.${c}`).join(', ')}`
// 500 rows × 18 parameters stays under both engines' limits on bound parameters.
const CHUNK = 500

// An hour is the sum of its 5-minute buckets; recomputed whole whenever one of them changes.
const HOURS_FROM_FIVES = (where: string) => `INSERT INTO gpu_history (${COLUMNS.join(', ')})
  SELECT node_id, 60, (bucket_at / ${HISTORY_HOUR_MS}) * ${HISTORY_HOUR_MS}, gpu_id, SUM(samples),
    SUM(util_sum), SUM(util_n), MAX(util_max), SUM(temp_sum), SUM(temp_n), MAX(temp_max),
    SUM(mem_sum), SUM(mem_n), MAX(mem_max), MAX(mem_total), SUM(power_sum), SUM(power_n), MAX(power_max)
  FROM gpu_history WHERE span_min = 5 AND bucket_at >= ? AND bucket_at < ?${where}
  GROUP BY node_id, gpu_id, bucket_at / ${HISTORY_HOUR_MS}
  ${UPSERT_SET}`

const floorHour = (t: number) => Math.floor(t / HISTORY_HOUR_MS) * HISTORY_HOUR_MS
const ceilHour = (t: number) => Math.ceil(t / HISTORY_HOUR_MS) * HISTORY_HOUR_MS

/** Per-GPU history over one SqlDb, the same SQL on both engines. */
export function createSqlGpuHistoryRepository (db: SqlDb): GpuHistoryRepository {
  const upsertFives = async (q: SqlQuery, rows: readonly HistoryDbRow[]): Promise<void> => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK)
      const args = chunk.flatMap(r => [Number(r.node_id), 5, Number(r.bucket_at), Number(r.gpu_id), ...VALUES.map(c => r[c] === null ? null : Number(r[c]))])
      await q.run(`INSERT INTO gpu_history (${COLUMNS.join(', ')}) VALUES
        ${chunk.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ')} ${UPSERT_SET}`, ...args)
    }
  }
  const rawRows = (from: number, to: number, stepMs: number, where = '', ...args: unknown[]) =>
    db.all<HistoryDbRow>(RAW_BUCKETS(where), stepMs, stepMs, from, to, ...args)

  return {
    async watermark () {
      const row = await db.one<{ w: number }>('SELECT watermark_at AS w FROM gpu_history_state WHERE singleton = 1')
      return row === undefined ? null : Number(row.w)
    },

    async advance (fromMs, toMs) {
      // Read outside the transaction: on SQLite a long aggregate read would otherwise hold the
      // one writer and stall ingest. A row committed after this read and before the watermark
      // moves is older than the late threshold when it commits, so ingest marks its bucket dirty.
      const rows = toMs > fromMs ? await rawRows(fromMs, toMs, HISTORY_BUCKET_MS) : []
      await db.tx(LOCK, async q => {
        await upsertFives(q, rows)
        if (toMs > fromMs) await q.run(HOURS_FROM_FIVES(''), floorHour(fromMs), ceilHour(toMs))
        await q.run(`INSERT INTO gpu_history_state (singleton, watermark_at) VALUES (1, ?)
          ON CONFLICT (singleton) DO UPDATE SET watermark_at = excluded.watermark_at`, toMs)
      })
      return rows.length
    },

    async markDirty (buckets: readonly DirtyBucket[]) {
      if (buckets.length === 0) return
      await db.runEach(`INSERT INTO gpu_history_dirty (node_id, bucket_at, marks) VALUES (?, ?, 1)
        ON CONFLICT (node_id, bucket_at) DO UPDATE SET marks = gpu_history_dirty.marks + 1`,
      buckets.map(b => [b.nodeId, Math.floor(b.bucketAt / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS]))
    },

    async rebuildDirty (limit) {
      const dirty = await db.all<{ node_id: number, bucket_at: number, marks: number }>(
        'SELECT node_id, bucket_at, marks FROM gpu_history_dirty ORDER BY bucket_at, node_id LIMIT ?', limit)
      for (const d of dirty) {
        const nodeId = Number(d.node_id)
        const at = Number(d.bucket_at)
        // Dirty buckets can be older than the loop's window: see the loop's note on compacted raw rows.
        const rows = await rawRows(at, at + HISTORY_BUCKET_MS, HISTORY_BUCKET_MS, ' AND node_id = ?', nodeId)
        await db.tx(LOCK, async q => {
          await upsertFives(q, rows)
          await q.run(HOURS_FROM_FIVES(' AND node_id = ?'), floorHour(at), floorHour(at) + HISTORY_HOUR_MS, nodeId)
          // Only the marks read: a row marked again meanwhile is rebuilt on the next pass.
          await q.run('DELETE FROM gpu_history_dirty WHERE node_id = ? AND bucket_at = ? AND marks = ?', nodeId, at, Number(d.marks))
        })
      }
      return dirty.length
    },

    async buckets ({ nodeId, gpuId, fromMs, toMs, span }) {
      const rows = await db.all<HistoryDbRow>(`SELECT * FROM gpu_history WHERE node_id = ? AND span_min = ?
        AND bucket_at >= ? AND bucket_at < ?${gpuId === undefined ? '' : ' AND gpu_id = ?'} ORDER BY gpu_id, bucket_at`,
      nodeId, span, fromMs, toMs, ...(gpuId === undefined ? [] : [gpuId]))
      return rows.map(toHistoryBucket)
    },

    async rawBuckets ({ nodeId, gpuId, fromMs, toMs, stepMs }) {
      if (!(Number.isInteger(stepMs) && stepMs > 0)) throw new TypeError(`rawBuckets: stepMs must be a positive integer, got ${stepMs}`)
      if (toMs <= fromMs) return []
      const rows = gpuId === undefined
        ? await rawRows(fromMs, toMs, stepMs, ' AND node_id = ?', nodeId)
        : await rawRows(fromMs, toMs, stepMs, ' AND node_id = ? AND gpu_id = ?', nodeId, gpuId)
      return rows.map(toHistoryBucket).sort((a, b) => a.gpuId - b.gpuId || a.bucketAt - b.bucketAt)
    },

    async gpuIds (nodeId) {
      // The hour span is small and holds every GPU the 5-minute span does.
      const rows = await db.all<{ gpu_id: number }>('SELECT DISTINCT gpu_id FROM gpu_history WHERE node_id = ? AND span_min = 60 ORDER BY gpu_id', nodeId)
      return rows.map(r => Number(r.gpu_id))
    },

    async prune (before, limit) {
      const deleted = await db.run(`DELETE FROM gpu_history WHERE (node_id, span_min, bucket_at, gpu_id) IN (
        SELECT node_id, span_min, bucket_at, gpu_id FROM gpu_history WHERE bucket_at < ? LIMIT ?)`, before, limit)
      return { deleted, more: deleted >= limit }
    },
  }
}
