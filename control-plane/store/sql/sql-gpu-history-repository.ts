import type { SqlDb, SqlQuery } from '../sql-db.ts'
import { nextTurn, onConnection, type OffLoopRead } from './off-loop.ts'
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
// leading column bounds the scan on SQLite; on PostgreSQL day partitions, and the node-first
// key once the nodes are named.
const RAW_BUCKETS = (where: string) => `SELECT node_id, gpu_id, b AS bucket_at, ${RAW_AGG}
  FROM (SELECT s.*, (recorded_at / CAST(? AS BIGINT)) * CAST(? AS BIGINT) AS b FROM gpu_stats AS s
    WHERE recorded_at >= ? AND recorded_at < ?${where}) AS r
  GROUP BY node_id, gpu_id, b`

const MINUTE_MS = 60_000

/**
 * One node's raw rows in [from, to) as SQL over `s` (gpu_stats), for rebuilding its dirty
 * minutes: `sql(columns)` selects `columns` of its rows, `args` binds the range and node. The
 * default reads the raw table's key; SQLite's goes through its head directory
 * (sqlite-gpu-head.ts), since its key is led by time and a node's minute would otherwise walk
 * the whole fleet's rows of that minute, once per dirty node.
 */
export interface NodeRowsSql {
  sql: (columns: string) => string
  args: (fromMs: number, toMs: number, nodeId: number) => unknown[]
}
const NODE_ROWS_BY_KEY: NodeRowsSql = {
  sql: columns => `SELECT ${columns} FROM gpu_stats AS s WHERE s.recorded_at >= ? AND s.recorded_at < ? AND s.node_id = ?`,
  args: (fromMs, toMs, nodeId) => [fromMs, toMs, nodeId],
}
// The node's rows in minutes, the columns RAW_AGG reads.
const NODE_MINUTES = (rows: NodeRowsSql) => `SELECT node_id, gpu_id, b AS bucket_at, ${RAW_AGG}
  FROM (${rows.sql(`s.node_id, s.gpu_id, (s.recorded_at / ${MINUTE_MS}) * ${MINUTE_MS} AS b,
    s.utilization_pct, s.temp_c, s.memory_used_mb, s.memory_total_mb, s.power_draw_w`)}) AS r
  GROUP BY node_id, gpu_id, b`

const VALUES = ['samples', 'util_sum', 'util_n', 'util_max', 'temp_sum', 'temp_n', 'temp_max', 'mem_sum', 'mem_n', 'mem_max',
  'mem_total', 'power_sum', 'power_n', 'power_max'] as const
const COLUMNS = ['node_id', 'span_min', 'bucket_at', 'gpu_id', ...VALUES] as const
const UPSERT_SET = `ON CONFLICT (node_id, span_min, bucket_at, gpu_id) DO UPDATE SET
  ${VALUES.map(c => `${c} = excluded.${c}`).join(', ')}`
// 500 rows × 18 parameters stays under both engines' limits on bound parameters.
const CHUNK = 500

// A 5-minute bucket is the sum of its minutes, an hour of its 5-minute buckets; recomputed
// whole whenever one of its parts changes.
const ROLL_UP = (from: 1 | 5, to: 5 | 60, where: string) => `INSERT INTO gpu_history (${COLUMNS.join(', ')})
  SELECT node_id, ${to}, (bucket_at / ${to * MINUTE_MS}) * ${to * MINUTE_MS}, gpu_id, SUM(samples),
    SUM(util_sum), SUM(util_n), MAX(util_max), SUM(temp_sum), SUM(temp_n), MAX(temp_max),
    SUM(mem_sum), SUM(mem_n), MAX(mem_max), MAX(mem_total), SUM(power_sum), SUM(power_n), MAX(power_max)
  FROM gpu_history WHERE span_min = ${from} AND bucket_at >= ? AND bucket_at < ?${where}
  GROUP BY node_id, gpu_id, bucket_at / ${to * MINUTE_MS}
  ${UPSERT_SET}`
// The newest reading per GPU (gpu_stats_latest names its raw row by the unique key), unless a
// stored minute before builtTo holds it: one that arrived after its minute was built is in none.
const NEWEST = (where: string) => `SELECT node_id, gpu_id, b AS bucket_at, ${RAW_AGG}
  FROM (SELECT s.*, (s.recorded_at / ${MINUTE_MS}) * ${MINUTE_MS} AS b FROM gpu_stats_latest AS l
    JOIN gpu_stats AS s ON s.recorded_at = l.recorded_at AND s.node_id = l.node_id AND s.gpu_id = l.gpu_id
    WHERE l.node_id = ? AND l.recorded_at >= ? AND l.recorded_at < ?${where}
      AND (l.recorded_at >= ? OR NOT EXISTS (SELECT 1 FROM gpu_history AS h WHERE h.node_id = l.node_id
        AND h.span_min = 1 AND h.bucket_at = (l.recorded_at / ${MINUTE_MS}) * ${MINUTE_MS} AND h.gpu_id = l.gpu_id))) AS r
  GROUP BY node_id, gpu_id, b`

const floorHour = (t: number) => Math.floor(t / HISTORY_HOUR_MS) * HISTORY_HOUR_MS
const ceilHour = (t: number) => Math.ceil(t / HISTORY_HOUR_MS) * HISTORY_HOUR_MS


/** Minutes upserted per transaction by advanceMinutes, the event loop free between them. */
const MINUTES_PER_TX = 8 * CHUNK

/**
 * Per-GPU history over one SqlDb, the same SQL on both engines but for how one node's raw rows
 * are found (`nodeRows`) and where the fleet-wide minute read runs (`offLoop`; default `db`).
 */
export function createSqlGpuHistoryRepository (db: SqlDb, nodeRows: NodeRowsSql = NODE_ROWS_BY_KEY, offLoop?: OffLoopRead): GpuHistoryRepository {
  const nodeMinutesSql = NODE_MINUTES(nodeRows)
  const readFleet = offLoop ?? onConnection(db)
  const upsertMinutes = async (q: SqlQuery, rows: readonly HistoryDbRow[]): Promise<void> => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK)
      const args = chunk.flatMap(r => [Number(r.node_id), 1, Number(r.bucket_at), Number(r.gpu_id), ...VALUES.map(c => r[c] === null ? null : Number(r[c]))])
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

    async minuteMarks () {
      const row = await db.one<{ s: number, b: number }>('SELECT settled_at AS s, built_at AS b FROM gpu_history_minute_state WHERE singleton = 1')
      return row === undefined ? null : { settledAt: Number(row.s), builtAt: Number(row.b) }
    },

    async advanceMinutes (fromMs, toMs, settledAt) {
      // Read outside the transaction: on SQLite a long aggregate read would otherwise hold the
      // one writer and stall ingest. A row committed after this read is either re-read by the
      // next pass (from settledAt on) or older than the late threshold when it commits, so
      // ingest marks its bucket dirty.
      // The nodes named: PostgreSQL's node-first key then reads each node's few minutes instead
      // of scanning the day's partition (it has no time-led index); SQLite still reads the time range.
      // The read grows with the fleet (every GPU's rows of the minutes since settledAt): on
      // SQLite it runs on the reader thread, and the minutes go in in transactions of
      // MINUTES_PER_TX, the event loop free between them. An upsert sets a minute whole, so
      // minutes written by a pass that then fails are written again, the same, by the next.
      const nodes = toMs > fromMs ? (await db.all<{ node_id: number }>('SELECT DISTINCT node_id FROM gpu_stats_latest')).map(r => Number(r.node_id)) : []
      const rows = nodes.length === 0
        ? []
        : await readFleet<HistoryDbRow>(RAW_BUCKETS(` AND ${db.dialect.inList('node_id', 'bigint')}`), [MINUTE_MS, MINUTE_MS, fromMs, toMs, nodes])
      let done = 0
      for (; rows.length - done > MINUTES_PER_TX; done += MINUTES_PER_TX) {
        await db.tx(LOCK, q => upsertMinutes(q, rows.slice(done, done + MINUTES_PER_TX)))
        await nextTurn()
      }
      await db.tx(LOCK, async q => {
        await upsertMinutes(q, rows.slice(done))
        await q.run(`INSERT INTO gpu_history_minute_state (singleton, settled_at, built_at) VALUES (1, ?, ?)
          ON CONFLICT (singleton) DO UPDATE SET settled_at = excluded.settled_at, built_at = excluded.built_at`,
        Math.min(settledAt, Math.max(fromMs, toMs)), Math.max(fromMs, toMs))
      })
      return rows.length
    },

    async advance (fromMs, toMs) {
      return await db.tx(LOCK, async q => {
        const written = toMs > fromMs ? await q.run(ROLL_UP(1, 5, ''), fromMs, toMs) : 0
        if (toMs > fromMs) await q.run(ROLL_UP(5, 60, ''), floorHour(fromMs), ceilHour(toMs))
        await q.run(`INSERT INTO gpu_history_state (singleton, watermark_at) VALUES (1, ?)
          ON CONFLICT (singleton) DO UPDATE SET watermark_at = excluded.watermark_at`, toMs)
        return written
      })
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
        const rows = await db.all<HistoryDbRow>(nodeMinutesSql, ...nodeRows.args(at, at + HISTORY_BUCKET_MS, nodeId))
        await db.tx(LOCK, async q => {
          await upsertMinutes(q, rows)
          await q.run(ROLL_UP(1, 5, ' AND node_id = ?'), at, at + HISTORY_BUCKET_MS, nodeId)
          await q.run(ROLL_UP(5, 60, ' AND node_id = ?'), floorHour(at), floorHour(at) + HISTORY_HOUR_MS, nodeId)
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

    async newest ({ nodeId, gpuId, fromMs, toMs, builtTo }) {
      if (toMs <= fromMs) return []
      const rows = gpuId === undefined
        ? await db.all<HistoryDbRow>(NEWEST(''), nodeId, fromMs, toMs, builtTo)
        : await db.all<HistoryDbRow>(NEWEST(' AND l.gpu_id = ?'), nodeId, fromMs, toMs, gpuId, builtTo)
      return rows.map(toHistoryBucket).sort((a, b) => a.gpuId - b.gpuId)
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

    async pruneMinutes (before, limit) {
      // span_min = 1 in both: the partial index gpu_history_minute_at serves the inner SELECT.
      const deleted = await db.run(`DELETE FROM gpu_history WHERE span_min = 1 AND (node_id, span_min, bucket_at, gpu_id) IN (
        SELECT node_id, span_min, bucket_at, gpu_id FROM gpu_history WHERE span_min = 1 AND bucket_at < ? LIMIT ?)`, before, limit)
      return { deleted, more: deleted >= limit }
    },
  }
}
