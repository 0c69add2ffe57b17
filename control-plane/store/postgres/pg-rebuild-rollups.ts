import { rollupSpans } from '../telemetry-repository.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../sqlite/sqlite-telemetry-migrations.ts'
import type { PgDb } from './pg-db.ts'

const HOUR = 3_600_000

/**
 * Recomputes the per-second sums and every rollup for the whole hours covering [fromMs, toMs)
 * from raw rows, in one transaction (sqlite-rebuild-rollups.ts on PostgreSQL). TOTAL() there is
 * COALESCE(SUM(), 0) here.
 */
export function createPgRebuildRollups (db: PgDb) {
  return async function rebuildRollups (fromMs: number, toMs: number): Promise<void> {
    const from = Math.floor(fromMs / HOUR) * HOUR
    const to = Math.ceil(toMs / HOUR) * HOUR
    if (to <= from) return
    await db.tx('gpufleet:telemetry-rebuild', async q => {
      await q.run('DELETE FROM gpu_rollup WHERE bucket_at >= ? AND bucket_at < ?', from, to)
      await q.run('DELETE FROM gpu_power_second WHERE second_at >= ? AND second_at < ?', from, to)
      await q.exec(`CREATE TEMP TABLE rebuild_sec (kind SMALLINT, id BIGINT, cid BIGINT, sec BIGINT, ps DOUBLE PRECISION,
        psum DOUBLE PRECISION, pn BIGINT, us DOUBLE PRECISION, un BIGINT, umax DOUBLE PRECISION, ts DOUBLE PRECISION, tn BIGINT, n BIGINT)
        ON COMMIT DROP`)
      await q.run(`INSERT INTO rebuild_sec
        SELECT ${SCOPE_NODE}, node_id, cluster_id, (recorded_at / 1000) * 1000, SUM(power_draw_w), COALESCE(SUM(power_draw_w), 0),
          COUNT(power_draw_w), COALESCE(SUM(utilization_pct), 0), COUNT(utilization_pct), MAX(utilization_pct),
          COALESCE(SUM(temp_c), 0), COUNT(temp_c), COUNT(*)
        FROM gpu_stats WHERE recorded_at >= ? AND recorded_at < ?
        GROUP BY node_id, cluster_id, 4`, from, to)
      const wide = (kind: number, id: string, where: string, group: string) => q.exec(`
        INSERT INTO rebuild_sec
        SELECT ${kind}, ${id}, NULL, sec, SUM(ps), COALESCE(SUM(psum), 0), SUM(pn), COALESCE(SUM(us), 0), SUM(un), MAX(umax),
          COALESCE(SUM(ts), 0), SUM(tn), SUM(n)
        FROM rebuild_sec WHERE kind = ${SCOPE_NODE} ${where} GROUP BY ${group}`)
      await wide(SCOPE_CLUSTER, 'cid', 'AND cid IS NOT NULL', 'cid, sec')
      await wide(SCOPE_FLEET, '0', '', 'sec')
      await q.exec(`INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
        SELECT kind, id, sec, ps FROM rebuild_sec WHERE kind <> ${SCOPE_NODE} AND ps IS NOT NULL`)
      const spans = [...new Set(SCOPE_KIND_NAMES.flatMap(k => rollupSpans(k)))]
      for (const span of spans) {
        const kinds = SCOPE_KIND_NAMES.flatMap((k, i) => rollupSpans(k).includes(span) ? [i] : [])
        const spanMs = span * 60_000
        await q.exec(`INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w,
            power_n, util_sum, util_n, util_max, temp_sum, temp_n, samples)
          SELECT kind, id, ${span}, (sec / ${spanMs}) * ${spanMs}, MAX(ps), COALESCE(SUM(psum), 0), SUM(pn), COALESCE(SUM(us), 0), SUM(un),
            MAX(umax), COALESCE(SUM(ts), 0), SUM(tn), SUM(n)
          FROM rebuild_sec WHERE kind IN (${kinds.join(', ')}) GROUP BY kind, id, 4`)
      }
    })
  }
}
