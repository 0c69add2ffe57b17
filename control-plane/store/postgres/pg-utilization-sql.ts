import { firstAtOrAfter, type UtilizationSql } from '../sql/utilization-reads.ts'

/*
 * PostgreSQL's SQL for the utilization reads (sql/utilization-reads.ts): the queries of
 * sqlite-utilization-sql.ts (read its comment for the method) in PostgreSQL's dialect:
 * GREATEST/LEAST for SQLite's scalar MAX/MIN, FILTER for SUM(boolean), NULLS FIRST where SQLite
 * sorts NULL first, explicit parameter types.
 */
const HELD_UTILIZATION = `
  WITH held AS MATERIALIZED (
    SELECT jg.gpu_id, jg.job_id, jg.assigned_at, g.node_id, g.gpu_index, g.model, n.hostname, n.cluster_id,
           j.name AS job_name, j.tenant_id, t.name AS tenant_name, GREATEST(jg.assigned_at, $1::bigint) AS from_at
    FROM job_gpus jg
    JOIN jobs j ON j.id = jg.job_id AND j.status = 'running'
    JOIN gpus g ON g.id = jg.gpu_id
    JOIN nodes n ON n.id = g.node_id
    LEFT JOIN tenants t ON t.id = j.tenant_id
    WHERE jg.released_at IS NULL AND ($3::bigint IS NULL OR j.tenant_id = $3::bigint)
  ), spans AS (
    SELECT node_id, MIN(from_at) AS from_at FROM held GROUP BY node_id
  ), minutes AS (
    SELECT h.gpu_id, s.recorded_at / 60000 AS minute, COUNT(s.utilization_pct) AS n, SUM(s.utilization_pct) AS total
    FROM spans r
    JOIN gpu_stats s ON s.node_id = r.node_id AND s.recorded_at >= r.from_at AND s.recorded_at < $2::bigint
    JOIN held h ON h.node_id = s.node_id AND h.gpu_index = s.gpu_id AND s.recorded_at >= h.from_at
    GROUP BY h.gpu_id, minute
  ), per_gpu AS (
    SELECT gpu_id, SUM(n) AS samples, SUM(total) / NULLIF(SUM(n), 0) AS mean_pct, MAX(total / NULLIF(n, 0)) AS busiest_pct,
           COUNT(*) FILTER (WHERE n = 0) AS unknown_minutes
    FROM minutes GROUP BY gpu_id
  )
  SELECT h.*, COALESCE(p.samples, 0) AS samples, p.mean_pct, p.busiest_pct, COALESCE(p.unknown_minutes, 0) AS unknown_minutes
  FROM held h LEFT JOIN per_gpu p ON p.gpu_id = h.gpu_id
  ORDER BY h.gpu_id`

const HELD_IN_WINDOW = `
  SELECT jg.job_id, jg.gpu_id, g.node_id, g.gpu_index, j.tenant_id, COALESCE(jg.gpu_model, g.model) AS gpu_model,
         GREATEST(jg.assigned_at, $1::bigint) AS from_at, LEAST(COALESCE(jg.released_at, $2::bigint), $2::bigint) AS to_at
  FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id JOIN gpus g ON g.id = jg.gpu_id
  WHERE jg.assigned_at < $2::bigint AND (jg.released_at IS NULL OR jg.released_at > $1::bigint)`

// The leakage share's holds past their first $4 ms (see sqlite-utilization-sql.ts heldPastGrace).
const HELD_PAST_GRACE = `
  SELECT * FROM (
    SELECT jg.job_id, jg.gpu_id, g.node_id, g.gpu_index,
           GREATEST(jg.assigned_at + $4::bigint, $1::bigint) AS from_at, LEAST(COALESCE(jg.released_at, $2::bigint), $2::bigint) AS to_at
    FROM job_gpus jg JOIN gpus g ON g.id = jg.gpu_id
    WHERE jg.assigned_at + $4::bigint < $2::bigint AND (jg.released_at IS NULL OR jg.released_at > $1::bigint)
  ) x WHERE x.from_at < x.to_at`

const ALLOCATED = `
  WITH held AS MATERIALIZED (${HELD_PAST_GRACE}), spans AS (
    SELECT node_id, MIN(from_at) AS from_at, MAX(to_at) AS to_at FROM held GROUP BY node_id
  ), minutes AS (
    SELECT AVG(s.utilization_pct) AS mean_pct
    FROM spans r
    JOIN gpu_stats s ON s.node_id = r.node_id AND s.recorded_at >= r.from_at AND s.recorded_at < r.to_at
    JOIN held h ON h.node_id = s.node_id AND h.gpu_index = s.gpu_id AND s.recorded_at >= h.from_at AND s.recorded_at < h.to_at
    WHERE s.utilization_pct IS NOT NULL
    GROUP BY h.job_id, h.gpu_id, s.recorded_at / 60000
  )
  SELECT COUNT(*) AS minutes, COUNT(*) FILTER (WHERE mean_pct < $3::float8) AS idle FROM minutes`

const pick = (from: string) => `(SELECT s.utilization_pct FROM gpu_stats s
  WHERE s.node_id = k.node_id AND s.recorded_at >= ${from} AND s.recorded_at < LEAST(k.at + 60000, k.to_at)
    AND s.gpu_id = k.gpu_index AND s.utilization_pct IS NOT NULL
  ORDER BY s.recorded_at LIMIT 1)`

const TENANT_USAGE = `
  WITH held AS (${HELD_IN_WINDOW} AND j.tenant_id IS NOT NULL AND ($3::bigint IS NULL OR j.tenant_id = $3::bigint))
  SELECT h.tenant_id, t.name, h.gpu_model, SUM(h.to_at - h.from_at) AS held_ms
  FROM held h JOIN tenants t ON t.id = h.tenant_id
  GROUP BY h.tenant_id, t.name, h.gpu_model ORDER BY h.tenant_id, h.gpu_model NULLS FIRST`

const TENANT_PICKS = `
  WITH RECURSIVE held AS (${HELD_IN_WINDOW} AND j.tenant_id IS NOT NULL AND ($3::bigint IS NULL OR j.tenant_id = $3::bigint)),
  ticks (tenant_id, node_id, gpu_index, at, to_at) AS (
    SELECT tenant_id, node_id, gpu_index, from_at, to_at FROM held
    UNION ALL
    SELECT tenant_id, node_id, gpu_index, at + 60000, to_at FROM ticks WHERE at + 60000 < to_at
  ), picks AS MATERIALIZED (
    SELECT k.tenant_id, COALESCE(${pick('k.at + ((k.at / 60000 * 2654435761 + k.gpu_index * 40503) % 60) * 1000')}, ${pick('k.at')}) AS u
    FROM ticks k /*since*/
  )
  SELECT tenant_id, COUNT(u) AS n, COALESCE(SUM(u), 0) AS total FROM picks GROUP BY tenant_id`

// Compacted rows as a JSON array of [node_id, gpu_id, recorded_at, utilization_pct] in parameter `n`.
const COLD_STATS = (n: number) => `(SELECT node_id, gpu_id, recorded_at, utilization_pct FROM gpu_stats
  UNION ALL SELECT (e ->> 0)::bigint, (e ->> 1)::integer, (e ->> 2)::bigint, (e ->> 3)::float8 FROM jsonb_array_elements($${n}::jsonb) AS e)`

/** The first reading in [from, end), or null. */
const firstIn = (readings: ReadonlyArray<readonly [number, number]>, from: number, end: number) => {
  const i = firstAtOrAfter(readings, from)
  return i < readings.length && readings[i]![0] < end ? readings[i]![1] : null
}

const METERED = `
  SELECT COALESCE(jg.gpu_model, g.model) AS gpu_model,
         SUM(LEAST(COALESCE(jg.released_at, $4::bigint), $3::bigint) - GREATEST(jg.assigned_at, $2::bigint)) AS held_ms
  FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id JOIN gpus g ON g.id = jg.gpu_id
  WHERE j.tenant_id = $1::bigint AND jg.assigned_at < $3::bigint AND COALESCE(jg.released_at, $4::bigint) > $2::bigint
  GROUP BY 1 ORDER BY 1 NULLS FIRST`

export const PG_UTILIZATION_SQL: UtilizationSql = {
  heldUtilization: HELD_UTILIZATION,
  allocated: ALLOCATED,
  tenantUsage: TENANT_USAGE,
  tenantPicks: TENANT_PICKS,
  metered: METERED,
  withCold: (sql, n) => sql.replaceAll('gpu_stats s', `${COLD_STATS(n)} s`),
  coldParam: rows => JSON.stringify(rows),
  tenantPicksSince: TENANT_PICKS.replace('/*since*/', 'WHERE k.at >= $4::bigint'),
  tenantHolds: `${HELD_IN_WINDOW} AND j.tenant_id IS NOT NULL AND ($3::bigint IS NULL OR j.tenant_id = $3::bigint)`,
  // As TENANT_PICKS: the first reading from the GPU's jittered second of the window, else from its start.
  pick (readings, { gpuIndex, at, toAt }) {
    const end = Math.min(at + 60_000, toAt)
    const offset = Number((BigInt(Math.floor(at / 60000)) * 2654435761n + BigInt(gpuIndex) * 40503n) % 60n)
    return firstIn(readings, at + offset * 1000, end) ?? firstIn(readings, at, end)
  },
}
