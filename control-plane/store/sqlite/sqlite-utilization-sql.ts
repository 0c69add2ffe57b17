import { firstAtOrAfter, type UtilizationSql } from '../sql/utilization-reads.ts'
import { pickSecondTerm } from './sqlite-telemetry-migrations.ts'

/*
 * SQLite's SQL for the utilization reads (sql/utilization-reads.ts): utilization of GPUs while
 * jobs held them, from raw telemetry. A minute whose samples all lack
 * a utilization (MIG GPUs report [N/A]) is an unknown minute: neither idle nor busy (the rollups are per node,
 * cluster and fleet, while a job may hold part of a node). Telemetry names a GPU by
 * (node_id, gpu_id = gpu index) and indexes (recorded_at, node_id, gpu_id), so:
 * - short windows (minutes: idle GPUs, leakage share) read every sample, scanning the
 *   window's rows once (a time range of the key) and matching them to the holds through an
 *   automatic (node_id, gpu_index) index: per node it would scan the fleet's window per node;
 * - the 24-hour tenant means pick one sample per GPU-minute at a pseudo-random second
 *   (jittered so a periodic load cannot alias), one seek each in a partial node-first index of
 *   those seconds' rows: 1,440 per GPU-day instead of 86,400 rows, an unbiased estimate of
 *   the mean (±1 point at 1,440 picks).
 */
// MATERIALIZED: scanned once into a small table the samples are matched against through an
// automatic (node_id, gpu_index) index, instead of re-joining the assignments per sample.
const heldUtilizationSql = `
  WITH held AS MATERIALIZED (
    SELECT jg.gpu_id, jg.job_id, jg.assigned_at, g.node_id, g.gpu_index, g.model, n.hostname, n.cluster_id,
           j.name AS job_name, j.tenant_id, t.name AS tenant_name, MAX(jg.assigned_at, ?1) AS from_at
    FROM job_gpus jg
    JOIN jobs j ON j.id = jg.job_id AND j.status = 'running'
    JOIN gpus g ON g.id = jg.gpu_id
    JOIN nodes n ON n.id = g.node_id
    LEFT JOIN tenants t ON t.id = j.tenant_id
    WHERE jg.released_at IS NULL AND (?3 IS NULL OR j.tenant_id = ?3)
  ), minutes AS (
    SELECT h.gpu_id, s.recorded_at / 60000 AS minute, COUNT(s.utilization_pct) AS n, SUM(s.utilization_pct) AS total
    FROM gpu_stats s
    JOIN held h ON h.node_id = s.node_id AND h.gpu_index = s.gpu_id AND s.recorded_at >= h.from_at
    WHERE s.recorded_at >= (SELECT MIN(from_at) FROM held) AND s.recorded_at < ?2
    GROUP BY h.gpu_id, minute
  )
  SELECT h.*, COALESCE(SUM(m.n), 0) AS samples, SUM(m.total) / SUM(m.n) AS mean_pct, MAX(m.total / m.n) AS busiest_pct,
         COALESCE(SUM(m.n = 0), 0) AS unknown_minutes
  FROM held h LEFT JOIN minutes m ON m.gpu_id = h.gpu_id
  GROUP BY h.gpu_id ORDER BY h.gpu_id`

// Holds overlapping [from, to), clipped to it; ended jobs count for the part they held.
const heldInWindow = `
  SELECT jg.job_id, jg.gpu_id, g.node_id, g.gpu_index, j.tenant_id, COALESCE(jg.gpu_model, g.model) AS gpu_model,
         MAX(jg.assigned_at, ?1) AS from_at, MIN(COALESCE(jg.released_at, ?2), ?2) AS to_at
  FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id JOIN gpus g ON g.id = jg.gpu_id
  WHERE jg.assigned_at < ?2 AND (jg.released_at IS NULL OR jg.released_at > ?1)`

// The leakage share's holds: a hold's first `grace` ms (?4: a job loading, not leakage, as
// dashboards/is-idle-allocated.ts judges a GPU) are left out, so the share and the count of
// idle allocated GPUs judge the same minutes.
const heldPastGrace = `
  SELECT * FROM (
    SELECT jg.job_id, jg.gpu_id, g.node_id, g.gpu_index, MAX(jg.assigned_at + ?4, ?1) AS from_at, MIN(COALESCE(jg.released_at, ?2), ?2) AS to_at
    FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id
    WHERE jg.assigned_at + ?4 < ?2 AND (jg.released_at IS NULL OR jg.released_at > ?1)
  ) x WHERE x.from_at < x.to_at`

const allocatedSql = `
  WITH held AS MATERIALIZED (${heldPastGrace}), minutes AS (
    SELECT AVG(s.utilization_pct) AS mean_pct
    FROM gpu_stats s
    JOIN held h ON h.node_id = s.node_id AND h.gpu_index = s.gpu_id AND s.recorded_at >= h.from_at AND s.recorded_at < h.to_at
    WHERE s.recorded_at >= (SELECT MIN(from_at) FROM held) AND s.recorded_at < (SELECT MAX(to_at) FROM held)
      AND s.utilization_pct IS NOT NULL
    GROUP BY h.job_id, h.gpu_id, s.recorded_at / 60000
  )
  SELECT COUNT(*) AS minutes, COALESCE(SUM(mean_pct < ?3), 0) AS idle FROM minutes`

const pick = (where: string) => `(SELECT s.utilization_pct FROM gpu_stats s
  WHERE s.node_id = k.node_id AND s.gpu_id = k.gpu_index AND s.recorded_at >= k.at
    AND s.recorded_at < MIN(k.at + 60000, k.to_at) AND s.utilization_pct IS NOT NULL AND ${where}
  ORDER BY s.recorded_at LIMIT 1)`

// GPU time per tenant and model: exact, from the holds.
const tenantUsageSql = `
  WITH held AS (${heldInWindow} AND j.tenant_id IS NOT NULL AND (?3 IS NULL OR j.tenant_id = ?3))
  SELECT h.tenant_id, t.name, h.gpu_model, SUM(h.to_at - h.from_at) AS held_ms
  FROM held h JOIN tenants t ON t.id = h.tenant_id
  GROUP BY h.tenant_id, h.gpu_model ORDER BY h.tenant_id, h.gpu_model`

// One pick per held GPU-minute: the first sample in its node's pseudo-random second of a
// minute (pickSecondTerm: one seek in the partial index gpu_stats_pick), else (an agent
// reporting less often than every second) the minute's first sample, walking the time key.
const tenantPicksSql = `
  WITH RECURSIVE held AS (${heldInWindow} AND j.tenant_id IS NOT NULL AND (?3 IS NULL OR j.tenant_id = ?3)),
  ticks (tenant_id, node_id, gpu_index, at, to_at) AS (
    SELECT tenant_id, node_id, gpu_index, from_at, to_at FROM held
    UNION ALL
    SELECT tenant_id, node_id, gpu_index, at + 60000, to_at FROM ticks WHERE at + 60000 < to_at
  ), picks AS MATERIALIZED (
    SELECT k.tenant_id, COALESCE(${pick(pickSecondTerm('s.'))}, ${pick('1')}) AS u
    FROM ticks k /*since*/
  )
  SELECT tenant_id, COUNT(u) AS n, TOTAL(u) AS total FROM picks GROUP BY tenant_id`

// Compacted rows as a JSON array of [node_id, gpu_id, recorded_at, utilization_pct] in parameter
// `n` (the one after the query's own); REAL as the column is, so SUM / COUNT stays a real division.
const COLD_STATS = (n: number) => `(SELECT node_id, gpu_id, recorded_at, utilization_pct FROM gpu_stats
  UNION ALL SELECT value ->> 0, value ->> 1, value ->> 2, CAST(value ->> 3 AS REAL) FROM json_each(?${n}))`

/** pickSecondTerm in integers as SQLite computes it (the product passes 2^53). */
const isPickSecond = (at: number, nodeId: number) =>
  Math.floor(at / 1000) % 60 === Number((BigInt(Math.floor(at / 60000)) * 2654435761n + BigInt(nodeId) * 40503n) % 60n)

const meteredSql = `
  SELECT COALESCE(jg.gpu_model, g.model) AS gpu_model,
         SUM(MIN(COALESCE(jg.released_at, ?4), ?3) - MAX(jg.assigned_at, ?2)) AS held_ms
  FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id JOIN gpus g ON g.id = jg.gpu_id
  WHERE j.tenant_id = ?1 AND jg.assigned_at < ?3 AND COALESCE(jg.released_at, ?4) > ?2
  GROUP BY 1 ORDER BY 1`

export const SQLITE_UTILIZATION_SQL: UtilizationSql = {
  heldUtilization: heldUtilizationSql,
  allocated: allocatedSql,
  tenantUsage: tenantUsageSql,
  tenantPicks: tenantPicksSql,
  metered: meteredSql,
  withCold: (sql, n) => sql.replaceAll('FROM gpu_stats s', `FROM ${COLD_STATS(n)} s`),
  coldParam: rows => JSON.stringify(rows),
  tenantPicksSince: tenantPicksSql.replace('/*since*/', 'WHERE k.at >= ?4'),
  tenantHolds: `${heldInWindow} AND j.tenant_id IS NOT NULL AND (?3 IS NULL OR j.tenant_id = ?3)`,
  // As tenantPicksSql: the first reading in the node's pick second of the window, else the first.
  pick (readings, { nodeId, at, toAt }) {
    const end = Math.min(at + 60_000, toAt)
    let first: number | null = null
    for (let i = firstAtOrAfter(readings, at); i < readings.length && readings[i]![0] < end; i++) {
      if (isPickSecond(readings[i]![0], nodeId)) return readings[i]![1]
      first ??= readings[i]![1]
    }
    return first
  },
}
