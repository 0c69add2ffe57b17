import { rollupSpans } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import type { SqliteGpuBlocks } from './sqlite-gpu-blocks.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../telemetry-scope-kinds.ts'

const HOUR = 3_600_000

/**
 * The rebuild as one script over the whole hours [lo, hi) of the one-row table
 * temp.rebuild_range (which it drops): the repair path below and telemetry migration 3, which
 * recomputes what the per-second sums of earlier versions overstated. Power as seed 000 has it
 * per recorded_at: a node's second keeps its largest tick sum, a cluster's or the fleet's
 * second adds each node's latest powered tick in it (SQLite gives the bare column `p` of the
 * row that has MAX(at)).
 */
export function sqliteRebuildScript (): string {
  const lo = '(SELECT lo FROM temp.rebuild_range)'
  const hi = '(SELECT hi FROM temp.rebuild_range)'
  const wide = (kind: number, id: string, where: string, group: string) => `
    INSERT INTO temp.rebuild_sec
    SELECT ${kind}, ${id}, NULL, sec, NULL, TOTAL(psum), SUM(pn), TOTAL(us), SUM(un), MAX(umax), TOTAL(ts), SUM(tn), SUM(n)
    FROM temp.rebuild_sec WHERE kind = ${SCOPE_NODE} ${where} GROUP BY ${group};`
  const widePower = (kind: number, id: string, where: string, group: string) => `
    INSERT INTO temp.rebuild_sec
    SELECT ${kind}, ${id}, NULL, sec, SUM(p), 0, 0, 0, 0, NULL, 0, 0, 0 FROM temp.rebuild_last ${where} GROUP BY ${group};`
  const spans = [...new Set(SCOPE_KIND_NAMES.flatMap(k => rollupSpans(k)))]
  const rollups = spans.map(span => {
    const kinds = SCOPE_KIND_NAMES.flatMap((k, i) => rollupSpans(k).includes(span) ? [i] : [])
    const spanMs = span * 60_000
    return `INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w,
        power_n, util_sum, util_n, util_max, temp_sum, temp_n, samples)
      SELECT kind, id, ${span}, (sec / ${spanMs}) * ${spanMs}, MAX(ps), TOTAL(psum), SUM(pn), TOTAL(us), SUM(un),
        MAX(umax), TOTAL(ts), SUM(tn), SUM(n)
      FROM temp.rebuild_sec WHERE kind IN (${kinds.join(', ')}) GROUP BY kind, id, 4;`
  })
  return `
    DELETE FROM gpu_rollup WHERE bucket_at >= ${lo} AND bucket_at < ${hi};
    DELETE FROM gpu_power_second WHERE second_at >= ${lo} AND second_at < ${hi};
    DROP TABLE IF EXISTS temp.rebuild_tick;
    DROP TABLE IF EXISTS temp.rebuild_sec;
    DROP TABLE IF EXISTS temp.rebuild_last;
    -- One row per node and tick: its power sum (p, NULL when no GPU reported power) and the additive parts.
    CREATE TEMP TABLE rebuild_tick (id INTEGER, cid INTEGER, at INTEGER, p REAL, psum REAL, pn INTEGER, us REAL,
      un INTEGER, umax REAL, ts REAL, tn INTEGER, n INTEGER);
    INSERT INTO temp.rebuild_tick
    SELECT node_id, cluster_id, recorded_at, SUM(power_draw_w), TOTAL(power_draw_w), COUNT(power_draw_w),
      TOTAL(utilization_pct), COUNT(utilization_pct), MAX(utilization_pct), TOTAL(temp_c), COUNT(temp_c), COUNT(*)
    FROM gpu_stats WHERE recorded_at >= ${lo} AND recorded_at < ${hi}
    GROUP BY recorded_at, node_id, cluster_id;
    -- One row per scope and second: its power (ps) plus the additive parts.
    CREATE TEMP TABLE rebuild_sec (kind INTEGER, id INTEGER, cid INTEGER, sec INTEGER, ps REAL,
      psum REAL, pn INTEGER, us REAL, un INTEGER, umax REAL, ts REAL, tn INTEGER, n INTEGER);
    INSERT INTO temp.rebuild_sec
    SELECT ${SCOPE_NODE}, id, cid, (at / 1000) * 1000 AS sec, MAX(p), TOTAL(psum), SUM(pn), TOTAL(us), SUM(un), MAX(umax),
      TOTAL(ts), SUM(tn), SUM(n)
    FROM temp.rebuild_tick GROUP BY id, cid, sec;
    ${wide(SCOPE_CLUSTER, 'cid', 'AND cid IS NOT NULL', 'cid, sec')}
    ${wide(SCOPE_FLEET, '0', '', 'sec')}
    -- Each node's latest powered tick per second: its share of its cluster's and the fleet's second.
    CREATE TEMP TABLE rebuild_last AS
    SELECT id, cid, (at / 1000) * 1000 AS sec, p, MAX(at) AS last_at FROM temp.rebuild_tick WHERE p IS NOT NULL GROUP BY id, cid, sec;
    ${widePower(SCOPE_CLUSTER, 'cid', 'WHERE cid IS NOT NULL', 'cid, sec')}
    ${widePower(SCOPE_FLEET, '0', '', 'sec')}
    INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
    SELECT kind, id, sec, ps FROM temp.rebuild_sec WHERE kind <> ${SCOPE_NODE} AND ps IS NOT NULL;
    ${rollups.join('\n')}
    DROP TABLE temp.rebuild_tick;
    DROP TABLE temp.rebuild_sec;
    DROP TABLE temp.rebuild_last;
    DROP TABLE temp.rebuild_range;
  `
}

/**
 * Recomputes the per-second sums and every rollup for the whole hours covering [fromMs,
 * toMs) from raw rows, in one transaction: the repair/backfill path, and the reference the
 * store suite checks the incremental rollups against. Hours are the largest span, so every
 * rewritten bucket is rebuilt whole. Raw rows must still cover the range (within retention).
 */
export function createSqliteRebuildRollups (db: SqliteDb, blocks?: SqliteGpuBlocks) {
  const script = sqliteRebuildScript()
  return function rebuildRollups (fromMs: number, toMs: number): void {
    const from = Math.floor(fromMs / HOUR) * HOUR
    const to = Math.ceil(toMs / HOUR) * HOUR
    if (to <= from) return
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`rebuildRollups: bad range ${fromMs}..${toMs}`)
    db.tx(() => {
      // Compacted rows of the range become raw rows again (compaction re-seals them later).
      blocks?.thawRange(from, to)
      db.raw.exec(`DROP TABLE IF EXISTS temp.rebuild_range; CREATE TEMP TABLE rebuild_range AS SELECT ${from} AS lo, ${to} AS hi`)
      db.raw.exec(script)
    })
  }
}
