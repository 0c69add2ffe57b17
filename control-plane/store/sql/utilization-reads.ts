import type { AllocatedMinutes, HeldGpuUtilization, ModelUsage, TenantUtilization } from '../dashboard-repository.ts'
import type { Row, SqlQuery } from '../sql-db.ts'
import { numOrNull, strOrNull } from './cells.ts'

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
}


function toHeldGpuUtilization (r: Row): HeldGpuUtilization {
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
    samples: Number(r.samples),
    meanPct: numOrNull(r.mean_pct),
    busiestMinutePct: numOrNull(r.busiest_pct),
    unknownMinutes: Number(r.unknown_minutes ?? 0),
  }
}

/** Utilization of GPUs while jobs held them, from raw telemetry, over either engine's SQL. */
export function createUtilizationReads (db: SqlQuery, sql: UtilizationSql) {
  return {
    async heldGpuUtilization (fromMs: number, toMs: number, tenantId: number | null): Promise<HeldGpuUtilization[]> {
      return (await db.all(sql.heldUtilization, fromMs, toMs, tenantId)).map(toHeldGpuUtilization)
    },

    async allocatedMinutes (fromMs: number, toMs: number, idleBelowPct: number, graceMs = 0): Promise<AllocatedMinutes> {
      const r = (await db.one(sql.allocated, fromMs, toMs, idleBelowPct, graceMs)) ?? {}
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
      for (const r of await db.all(sql.tenantPicks, fromMs, toMs, tenantId)) {
        const t = out.get(Number(r.tenant_id))
        if (t === undefined || Number(r.n) === 0) continue
        t.samples = Number(r.n)
        t.meanPct = Number(r.total) / Number(r.n)
      }
      return [...out.values()]
    },

    async meteredUsage (tenantId: number, fromMs: number, toMs: number, nowMs: number): Promise<ModelUsage[]> {
      return (await db.all(sql.metered, tenantId, fromMs, toMs, nowMs))
        .map(r => ({ gpuModel: strOrNull(r.gpu_model), gpuSeconds: Number(r.held_ms) / 1000 }))
    },
  }
}
