import type { SqliteDb } from './sqlite-db.ts'
import { BLOCK_WIRE_COLUMNS, type GpuHeadSql } from '../sql/gpu-block-reads.ts'
import type { NodeRowsSql } from '../sql/sql-gpu-history-repository.ts'

/** The directory's time grain: an entry covers one node's rows of one minute. */
export const HEAD_MINUTE_MS = 60_000

export const headMinute = (ms: number) => Math.floor(ms / HEAD_MINUTE_MS) * HEAD_MINUTE_MS

/** One directory entry: a node's rows of one minute lie in ids [firstId, lastId]. */
export interface HeadEntry { minuteAt: number, firstId: number, lastId: number }

/**
 * The entries for rows one statement run (or one push's statements) just inserted, given as
 * parallel arrays (ids[i] recorded at ats[i]), in id order per minute: a row's entry is its
 * minute's, spanning that minute's lowest to highest id. Rows of other minutes inside that span
 * are skipped by the reads (they bound each entry to its minute), so a push that crosses a
 * minute costs one entry more, not a wrong answer.
 */
export function headEntries (ids: readonly number[], ats: readonly number[]): HeadEntry[] {
  const entries: HeadEntry[] = []
  for (let i = 0; i < ids.length; i++) {
    const minuteAt = headMinute(ats[i]!)
    const id = ids[i]!
    // A push's rows are one or two minutes (a thawed block's five): a short walk, no map.
    const e = entries.find(x => x.minuteAt === minuteAt)
    if (e === undefined) entries.push({ minuteAt, firstId: id, lastId: id })
    else {
      if (id < e.firstId) e.firstId = id
      if (id > e.lastId) e.lastId = id
    }
  }
  return entries
}

/**
 * SQL for one node's head rows recorded in [?1, ?2) (`columns` of gpu_stats as `s`, `where`
 * more terms on `s`, ?3 the node, `minute` the parameter bound to headMinute(?1): numbers bind
 * as REAL, so the division is done by the caller): its directory entries minute by minute (an equality seek each in the minute-led
 * key), each a rowid range of gpu_stats bounded to the entry's minute.
 * CROSS JOIN holds that order and the unary + keeps gpu_stats' terms filters (the planner would
 * rather build an automatic index on gpu_stats); `where` writes its terms on `s` the same way.
 * DISTINCT: an entry left pointing at deleted rows whose ids SQLite reused (it hands out
 * max(rowid) + 1) may cover a row another entry of the same minute covers too.
 */
export const headRowsSql = (columns: string, where: string, minute: string) => `
  WITH RECURSIVE minutes (at) AS (
    SELECT MAX(${minute}, COALESCE((SELECT MIN(minute_at) FROM gpu_stats_dir), ?2))
    UNION ALL SELECT at + ${HEAD_MINUTE_MS} FROM minutes
    WHERE at + ${HEAD_MINUTE_MS} < MIN(?2, COALESCE((SELECT MAX(minute_at) FROM gpu_stats_dir) + ${HEAD_MINUTE_MS}, ?1))
  )
  SELECT DISTINCT s.id, ${columns} FROM minutes m
  CROSS JOIN gpu_stats_dir d CROSS JOIN gpu_stats s
  WHERE d.minute_at = m.at AND d.node_id = ?3 AND s.id BETWEEN d.first_id AND d.last_id
    AND +s.node_id = ?3 AND +s.recorded_at >= MAX(?1, d.minute_at) AND +s.recorded_at < MIN(?2, d.minute_at + ${HEAD_MINUTE_MS})
    AND ${where}`

/** gpuHistory's raw rows on SQLite: one GPU of the node, through the directory. */
export const SQLITE_GPU_HEAD_SQL: GpuHeadSql = {
  sql: headRowsSql(`s.recorded_at, ${BLOCK_WIRE_COLUMNS.map(c => `s.${c}`).join(', ')}`, '+s.gpu_id = ?4', '?5'),
  minuteMs: HEAD_MINUTE_MS,
}

/** The per-GPU history's rebuild of one node's minutes on SQLite: its raw rows through the directory. */
export const SQLITE_NODE_ROWS_SQL: NodeRowsSql = {
  sql: columns => headRowsSql(columns, '1', '?4'),
  args: (fromMs, toMs, nodeId) => [fromMs, toMs, nodeId, headMinute(fromMs)],
}

/**
 * The head directory (telemetry migration 8): gpu_stats is keyed by time (ingest appends at
 * the right edge), so one node's rows of a range are found here instead of walking the
 * fleet's rows of that range. Every statement that inserts into gpu_stats adds the entries of
 * the rows it inserted (add); reads and compaction go through headRowsSql; entries whose rows
 * are gone are dropped by compaction (forgetEmpty) and retention (prune). Runs inside the
 * caller's write transaction.
 */
export function createSqliteGpuHead (db: SqliteDb) {
  const texts: string[] = []
  const insert = (n: number) => db.stmt(texts[n] ??= `INSERT INTO gpu_stats_dir (minute_at, node_id, first_id, last_id)
    VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?)').join(', ')}
    ON CONFLICT (minute_at, node_id, first_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)`)

  return {
    /** Entries for a node's rows just inserted: ids[i] recorded at ats[i]. */
    add (nodeId: number, ids: readonly number[], ats: readonly number[]): void {
      const entries = headEntries(ids, ats)
      if (entries.length === 0) return
      insert(entries.length).run(...entries.flatMap(e => [e.minuteAt, nodeId, e.firstId, e.lastId]))
    },

    /** A node's entries in [fromMs, toMs) (minute-aligned) that no longer cover any of its rows. */
    forgetEmpty (nodeId: number, fromMs: number, toMs: number): void {
      const minutes: number[] = []
      for (let m = fromMs; m < toMs; m += HEAD_MINUTE_MS) minutes.push(m)
      // Minute by minute (an IN list of equalities: a range of the leading column would walk
      // every node's entries); the probe a rowid range, its terms kept off gpu_stats' indexes.
      db.stmt(`DELETE FROM gpu_stats_dir WHERE minute_at IN (${minutes.map(() => '?').join(', ')}) AND node_id = ? AND NOT EXISTS (
          SELECT 1 FROM gpu_stats s WHERE s.id BETWEEN gpu_stats_dir.first_id AND gpu_stats_dir.last_id
            AND +s.node_id = gpu_stats_dir.node_id AND +s.recorded_at >= gpu_stats_dir.minute_at
            AND +s.recorded_at < gpu_stats_dir.minute_at + ${HEAD_MINUTE_MS})`)
        .run(...minutes, nodeId)
    },

    /**
     * Entries of minutes wholly before `before` and before the oldest raw row (so retention's
     * bounded raw delete has really removed them), at most `limit`.
     */
    prune (before: number, limit: number): { deleted: number, more: boolean } {
      const deleted = Number(db.stmt(`DELETE FROM gpu_stats_dir WHERE (minute_at, node_id, first_id) IN (
          SELECT minute_at, node_id, first_id FROM gpu_stats_dir
          WHERE minute_at <= MIN(?1, COALESCE((SELECT MIN(recorded_at) FROM gpu_stats), ?1)) - ${HEAD_MINUTE_MS} LIMIT ?2)`)
        .run(before, limit).changes)
      return { deleted, more: deleted >= limit }
    },
  }
}

export type SqliteGpuHead = ReturnType<typeof createSqliteGpuHead>
