import { rollupSpans } from '../telemetry-repository.ts'
import { SCOPE_CLUSTER, SCOPE_FLEET, SCOPE_KIND_NAMES, SCOPE_NODE } from '../telemetry-scope-kinds.ts'
import type { PgDb, PgQuery } from './pg-db.ts'

const HOUR = 3_600_000

/**
 * The rebuild as one script over the whole hours [lo, hi) of the one-row temp table
 * rebuild_range (sqlite-rebuild-rollups.ts on PostgreSQL; TOTAL() there is COALESCE(SUM(), 0)
 * here, its bare column of the MAX(at) row is DISTINCT ON here). Used by the repair path below
 * and telemetry migration 2 (PostgreSQL's numbering). Every temp table goes at the commit.
 */
export function pgRebuildScript (): string {
  const lo = '(SELECT lo FROM rebuild_range)'
  const hi = '(SELECT hi FROM rebuild_range)'
  const wide = (kind: number, id: string, where: string, group: string) => `
    INSERT INTO rebuild_sec
    SELECT ${kind}, ${id}, NULL, sec, NULL, COALESCE(SUM(psum), 0), SUM(pn), COALESCE(SUM(us), 0), SUM(un), MAX(umax),
      COALESCE(SUM(ts), 0), SUM(tn), SUM(n)
    FROM rebuild_sec WHERE kind = ${SCOPE_NODE} ${where} GROUP BY ${group};`
  const widePower = (kind: number, id: string, where: string, group: string) => `
    INSERT INTO rebuild_sec
    SELECT ${kind}, ${id}, NULL, sec, SUM(p), 0, 0, 0, 0, NULL, 0, 0, 0 FROM rebuild_last ${where} GROUP BY ${group};`
  const spans = [...new Set(SCOPE_KIND_NAMES.flatMap(k => rollupSpans(k)))]
  const rollups = spans.map(span => {
    const kinds = SCOPE_KIND_NAMES.flatMap((k, i) => rollupSpans(k).includes(span) ? [i] : [])
    const spanMs = span * 60_000
    return `INSERT INTO gpu_rollup (scope_kind, scope_id, span_min, bucket_at, power_max_w, power_sum_w,
        power_n, util_sum, util_n, util_max, temp_sum, temp_n, samples)
      SELECT kind, id, ${span}, (sec / ${spanMs}) * ${spanMs}, MAX(ps), COALESCE(SUM(psum), 0), SUM(pn), COALESCE(SUM(us), 0), SUM(un),
        MAX(umax), COALESCE(SUM(ts), 0), SUM(tn), SUM(n)
      FROM rebuild_sec WHERE kind IN (${kinds.join(', ')}) GROUP BY kind, id, 4;`
  })
  return `
    DELETE FROM gpu_rollup WHERE bucket_at >= ${lo} AND bucket_at < ${hi};
    DELETE FROM gpu_power_second WHERE second_at >= ${lo} AND second_at < ${hi};
    -- One row per node and tick: its power sum (p, NULL when no GPU reported power) and the additive parts.
    CREATE TEMP TABLE rebuild_tick ON COMMIT DROP AS
    SELECT node_id AS id, cluster_id AS cid, recorded_at AS at, SUM(power_draw_w) AS p, COALESCE(SUM(power_draw_w), 0) AS psum,
      COUNT(power_draw_w) AS pn, COALESCE(SUM(utilization_pct), 0) AS us, COUNT(utilization_pct) AS un, MAX(utilization_pct) AS umax,
      COALESCE(SUM(temp_c), 0) AS ts, COUNT(temp_c) AS tn, COUNT(*) AS n
    FROM gpu_stats WHERE recorded_at >= ${lo} AND recorded_at < ${hi}
    GROUP BY node_id, cluster_id, recorded_at;
    -- One row per scope and second: its power (ps) plus the additive parts.
    CREATE TEMP TABLE rebuild_sec (kind SMALLINT, id BIGINT, cid BIGINT, sec BIGINT, ps DOUBLE PRECISION,
      psum DOUBLE PRECISION, pn BIGINT, us DOUBLE PRECISION, un BIGINT, umax DOUBLE PRECISION, ts DOUBLE PRECISION, tn BIGINT, n BIGINT)
      ON COMMIT DROP;
    INSERT INTO rebuild_sec
    SELECT ${SCOPE_NODE}, id, cid, (at / 1000) * 1000 AS sec, MAX(p), COALESCE(SUM(psum), 0), SUM(pn), COALESCE(SUM(us), 0), SUM(un),
      MAX(umax), COALESCE(SUM(ts), 0), SUM(tn), SUM(n)
    FROM rebuild_tick GROUP BY id, cid, 4;
    ${wide(SCOPE_CLUSTER, 'cid', 'AND cid IS NOT NULL', 'cid, sec')}
    ${wide(SCOPE_FLEET, '0', '', 'sec')}
    -- Each node's latest powered tick per second: its share of its cluster's and the fleet's second.
    CREATE TEMP TABLE rebuild_last ON COMMIT DROP AS
    SELECT DISTINCT ON (id, cid, (at / 1000)) id, cid, (at / 1000) * 1000 AS sec, p
    FROM rebuild_tick WHERE p IS NOT NULL ORDER BY id, cid, (at / 1000), at DESC;
    ${widePower(SCOPE_CLUSTER, 'cid', 'WHERE cid IS NOT NULL', 'cid, sec')}
    ${widePower(SCOPE_FLEET, '0', '', 'sec')}
    INSERT INTO gpu_power_second (scope_kind, scope_id, second_at, power_sum_w)
    SELECT kind, id, sec, ps FROM rebuild_sec WHERE kind <> ${SCOPE_NODE} AND ps IS NOT NULL;
    ${rollups.join('\n')}
  `
}

/**
 * Recomputes the per-second sums and every rollup for the whole hours covering [fromMs, toMs)
 * from raw rows, in one transaction (sqlite-rebuild-rollups.ts on PostgreSQL).
 */
export function createPgRebuildRollups (db: PgDb, blocks?: { thawRange: (q: PgQuery, fromMs: number, toMs: number) => Promise<void> }) {
  const script = pgRebuildScript()
  return async function rebuildRollups (fromMs: number, toMs: number): Promise<void> {
    const from = Math.floor(fromMs / HOUR) * HOUR
    const to = Math.ceil(toMs / HOUR) * HOUR
    if (to <= from) return
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new RangeError(`rebuildRollups: bad range ${fromMs}..${toMs}`)
    await db.tx('gpufleet:telemetry-rebuild', async q => {
      // Compacted rows of the range become raw rows again (compaction re-seals them later).
      await blocks?.thawRange(q, from, to)
      await q.exec(`CREATE TEMP TABLE rebuild_range ON COMMIT DROP AS SELECT ${from}::bigint AS lo, ${to}::bigint AS hi`)
      await q.exec(script)
    })
  }
}
