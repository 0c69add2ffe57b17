import { rollupSpans } from '../telemetry-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from './sqlite-telemetry-migrations.ts'

const HOUR = 3_600_000

/**
 * Recomputes the per-second sums and every rollup for the whole hours covering [fromMs,
 * toMs) from raw rows, in one transaction: the repair/backfill path, and the reference the
 * store suite checks the incremental rollups against. Hours are the largest span, so every
 * rewritten bucket is rebuilt whole. Raw rows must still cover the range (within retention).
 */
export function createSqliteRebuildRollups (db: SqliteDb) {
  return function rebuildRollups (fromMs: number, toMs: number): void {
    const from = Math.floor(fromMs / HOUR) * HOUR
    const to = Math.ceil(toMs / HOUR) * HOUR
    if (to <= from) return
    db.tx(() => {
      db.stmt('DELETE FROM gpu_rollup WHERE bucket_at >= ? AND bucket_at < ?').run(from, to)
      db.stmt('DELETE FROM gpu_power_second WHERE second_at >= ? AND second_at < ?').run(from, to)
      db.raw.exec('DROP TABLE IF EXISTS temp.rebuild_sec')
      // One row per scope and second: the per-second sum (ps) plus the additive parts.
      db.raw.exec(`CREATE TEMP TABLE rebuild_sec (kind INTEGER, id INTEGER, cid INTEGER, sec INTEGER, ps REAL,
        psum REAL, pn INTEGER, us REAL, un INTEGER, umax REAL, ts REAL, tn INTEGER, n INTEGER)`)
      // Uncached: the temp table it names is dropped at the end.
      db.raw.prepare(`INSERT INTO temp.rebuild_sec
        SELECT ${SCOPE_NODE}, node_id, cluster_id, (recorded_at / 1000) * 1000, SUM(power_draw_w), TOTAL(power_draw_w),
          COUNT(power_draw_w), TOTAL(utilization_pct), COUNT(utilization_pct), MAX(utilization_pct),
          TOTAL(temp_c), COUNT(temp_c), COUNT(*)
        FROM gpu_stats WHERE recorded_at >= ? AND recorded_at < ?
        GROUP BY node_id, cluster_id, 4`).run(from, to)
      const wide = (kind: number, id: string, where: string, group: string) => db.raw.exec(`
        INSERT INTO temp.rebuild_sec
        SELECT ${kind}, ${id}, NULL, sec, SUM(ps), TOTAL(psum), SUM(pn), TOTAL(us), SUM(un), MAX(umax), TOTAL(ts), SUM(tn), SUM(n)
        FROM temp.rebuild_sec WHERE kind = ${SCOPE_NODE} ${where} GROUP BY ${group}`)
      wide(SCOPE_CLUSTER, 'cid', 'AND cid IS NOT NULL', 'cid, sec')
      wide(SCOPE_FLEET, '0', '', 'sec')
      db.raw.exec(`INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
        SELECT kind, id, sec, ps FROM temp.rebuild_sec WHERE kind <> ${SCOPE_NODE} AND ps IS NOT NULL`)
      const spans = [...new Set(SCOPE_KIND_NAMES.flatMap(k => rollupSpans(k)))]
      for (const span of spans) {
        const kinds = SCOPE_KIND_NAMES.flatMap((k, i) => rollupSpans(k).includes(span) ? [i] : [])
        const spanMs = span * 60_000
        db.raw.exec(`INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w,
            power_n, util_sum, util_n, util_max, temp_sum, temp_n, samples)
          SELECT kind, id, ${span}, (sec / ${spanMs}) * ${spanMs}, MAX(ps), TOTAL(psum), SUM(pn), TOTAL(us), SUM(un),
            MAX(umax), TOTAL(ts), SUM(tn), SUM(n)
          FROM temp.rebuild_sec WHERE kind IN (${kinds.join(', ')}) GROUP BY kind, id, 4`)
      }
      db.raw.exec('DROP TABLE temp.rebuild_sec')
    })
  }
}
