import type { AllocatedMinutes, HeldGpu, HeldGpuUtilization, ModelUsage, TenantUtilization } from '../dashboard-repository.ts'
import type { Row, SqlQuery } from '../sql-db.ts'
import { numOrNull, strOrNull } from './cells.ts'
import { coldUtilization, compactedBefore, type ColdUtilization } from './gpu-block-reads.ts'

/**
 * The utilization queries' SQL, which each engine writes for its own planner
 * (sqlite/sqlite-utilization-sql.ts, postgres/pg-utilization-sql.ts: read the SQLite one for
 * the method). Each uses a parameter more than once, so parameters are numbered in the
 * engine's own spelling (`?1` on SQLite, `$1` on PostgreSQL); the columns are the same.
 */
export interface UtilizationSql {
  /** (from, to, tenantId | null) → the held GPU's columns, samples, mean_pct, busiest_pct, unknown_minutes. */
  heldUtilization: string
  /** (from, to, idleBelowPct, graceMs) → minutes, idle; a hold's first graceMs left out. */
  allocated: string
  /** (from, to, tenantId | null) → tenant_id, name, gpu_model, held_ms; by tenant, then model (NULL first). */
  tenantUsage: string
  /** (from, to, tenantId | null) → tenant_id, n, total: the picked samples per tenant. */
  tenantPicks: string
  /** (tenantId, from, to, now) → gpu_model, held_ms; by model (NULL first). */
  metered: string
  /**
   * Compacted telemetry (gpu_block) for windows that reach before the compaction watermark:
   * `withCold` turns heldUtilization or allocated into the same query over gpu_stats UNION ALL
   * the rows of parameter `param`, the one after the query's own (`coldParam` encodes them); `tenantPicksSince` is tenantPicks for
   * the ticks at or after parameter 4; `tenantHolds` (from, to, tenantId | null) → tenant_id,
   * node_id, gpu_index, from_at, to_at; `pick` is tenantPicks' choice for one tick, given the
   * GPU's non-null readings [at, pct] in time order.
   */
  withCold: (sql: string, param: number) => string
  coldParam: (rows: readonly ColdUtilization[]) => unknown
  tenantPicksSince: string
  tenantHolds: string
  pick: (readings: ReadonlyArray<readonly [number, number]>, tick: { nodeId: number, gpuIndex: number, at: number, toAt: number }) => number | null
}

/** Index of the first reading at or after `at`. */
export function firstAtOrAfter (readings: ReadonlyArray<readonly [number, number]>, at: number): number {
  let lo = 0
  let hi = readings.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (readings[mid]![0] < at) lo = mid + 1
    else hi = mid
  }
  return lo
}


/** A running job's GPU: the columns heldGpus and the held-utilization query share. */
export function toHeldGpu (r: Row): HeldGpu {
  return {
    gpuId: Number(r.gpu_id),
    nodeId: Number(r.node_id),
    gpuIndex: Number(r.gpu_index),
    hostname: String(r.hostname),
    clusterId: Number(r.cluster_id),
    model: strOrNull(r.model),
    jobId: Number(r.job_id),
    jobName: String(r.job_name),
    tenantId: numOrNull(r.tenant_id),
    tenantName: strOrNull(r.tenant_name),
    assignedAt: Number(r.assigned_at),
  }
}

function toHeldGpuUtilization (r: Row): HeldGpuUtilization {
  return {
    ...toHeldGpu(r),
    samples: Number(r.samples),
    meanPct: numOrNull(r.mean_pct),
    busiestMinutePct: numOrNull(r.busiest_pct),
    unknownMinutes: Number(r.unknown_minutes ?? 0),
  }
}

/** Utilization of GPUs while jobs held them, from raw telemetry, over either engine's SQL. */
export function createUtilizationReads (db: SqlQuery, sql: UtilizationSql) {
  /** The compacted rows a window needs as the extra parameter, or null when it needs none (the usual case). */
  async function coldArgs (fromMs: number, toMs: number): Promise<[unknown] | null> {
    const watermark = await compactedBefore(db)
    if (!(fromMs < watermark)) return null
    return [sql.coldParam(await coldUtilization(db, fromMs, Math.min(toMs, watermark)))]
  }

  /**
   * The picks per tenant. Ticks at or after the watermark read gpu_stats in SQL as before;
   * earlier ticks pick the same way here from their GPUs' compacted rows plus the raw rows
   * up to a minute past the watermark (a tick's window may cross it).
   */
  async function tenantPicks (fromMs: number, toMs: number, tenantId: number | null): Promise<Map<number, { n: number, total: number }>> {
    const out = new Map<number, { n: number, total: number }>()
    const add = (id: number, n: number, total: number) => {
      const t = out.get(id)
      if (t === undefined) out.set(id, { n, total })
      else { t.n += n; t.total += total }
    }
    const watermark = await compactedBefore(db)
    if (!(fromMs < watermark)) {
      for (const r of await db.all(sql.tenantPicks, fromMs, toMs, tenantId)) add(Number(r.tenant_id), Number(r.n), Number(r.total))
      return out
    }
    const holds = (await db.all(sql.tenantHolds, fromMs, toMs, tenantId))
      .map(r => ({ tenantId: Number(r.tenant_id), nodeId: Number(r.node_id), gpuIndex: Number(r.gpu_index), fromAt: Number(r.from_at), toAt: Number(r.to_at) }))
      .filter(h => h.fromAt < watermark)
    if (holds.length > 0) {
      const nodes = new Set(holds.map(h => h.nodeId))
      const wanted = new Set(holds.map(h => `${h.nodeId}:${h.gpuIndex}`))
      const minFrom = Math.min(...holds.map(h => h.fromAt))
      const readings = new Map<string, Array<[number, number]>>()
      const keep = (node: number, gpu: number, at: number, pct: number | null) => {
        const key = `${node}:${gpu}`
        if (pct === null || !wanted.has(key)) return
        let list = readings.get(key)
        if (list === undefined) readings.set(key, list = [])
        list.push([at, pct])
      }
      for (const [node, gpu, at, pct] of await coldUtilization(db, minFrom, watermark, nodes)) keep(node, gpu, at, pct)
      const raw = await db.all(`SELECT node_id, gpu_id, recorded_at, utilization_pct FROM gpu_stats
        WHERE recorded_at >= ? AND recorded_at < ? AND utilization_pct IS NOT NULL`, minFrom, watermark + 60_000)
      for (const r of raw) if (nodes.has(Number(r.node_id))) keep(Number(r.node_id), Number(r.gpu_id), Number(r.recorded_at), Number(r.utilization_pct))
      for (const list of readings.values()) list.sort((a, b) => a[0] - b[0])
      for (const h of holds) {
        const list = readings.get(`${h.nodeId}:${h.gpuIndex}`) ?? []
        let n = 0
        let total = 0
        for (let at = h.fromAt; at < h.toAt && at < watermark; at += 60_000) {
          const u = sql.pick(list, { nodeId: h.nodeId, gpuIndex: h.gpuIndex, at, toAt: h.toAt })
          if (u !== null) { n++; total += u }
        }
        add(h.tenantId, n, total)
      }
    }
    for (const r of await db.all(sql.tenantPicksSince, fromMs, toMs, tenantId, watermark)) add(Number(r.tenant_id), Number(r.n), Number(r.total))
    return out
  }

  return {
    async heldGpuUtilization (fromMs: number, toMs: number, tenantId: number | null): Promise<HeldGpuUtilization[]> {
      const cold = await coldArgs(fromMs, toMs)
      const query = cold === null ? sql.heldUtilization : sql.withCold(sql.heldUtilization, 4)
      return (await db.all(query, fromMs, toMs, tenantId, ...(cold ?? []))).map(toHeldGpuUtilization)
    },

    async allocatedMinutes (fromMs: number, toMs: number, idleBelowPct: number, graceMs = 0): Promise<AllocatedMinutes> {
      const cold = await coldArgs(fromMs, toMs)
      const query = cold === null ? sql.allocated : sql.withCold(sql.allocated, 5)
      const r = (await db.one(query, fromMs, toMs, idleBelowPct, graceMs, ...(cold ?? []))) ?? {}
      return { gpuMinutes: Number(r.minutes ?? 0), idleGpuMinutes: Number(r.idle ?? 0) }
    },

    async tenantUtilization (fromMs: number, toMs: number, tenantId: number | null): Promise<TenantUtilization[]> {
      const out = new Map<number, TenantUtilization>()
      for (const r of await db.all(sql.tenantUsage, fromMs, toMs, tenantId)) {
        const id = Number(r.tenant_id)
        let t = out.get(id)
        if (t === undefined) out.set(id, t = { tenantId: id, name: String(r.name), usage: [], samples: 0, meanPct: null })
        t.usage.push({ gpuModel: strOrNull(r.gpu_model), gpuSeconds: Number(r.held_ms) / 1000 })
      }
      for (const [id, pick] of await tenantPicks(fromMs, toMs, tenantId)) {
        const t = out.get(id)
        if (t === undefined || pick.n === 0) continue
        t.samples = pick.n
        t.meanPct = pick.total / pick.n
      }
      return [...out.values()]
    },

    async meteredUsage (tenantId: number, fromMs: number, toMs: number, nowMs: number): Promise<ModelUsage[]> {
      return (await db.all(sql.metered, tenantId, fromMs, toMs, nowMs))
        .map(r => ({ gpuModel: strOrNull(r.gpu_model), gpuSeconds: Number(r.held_ms) / 1000 }))
    },
  }
}
