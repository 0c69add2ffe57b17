import type { SQLInputValue } from 'node:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { gpuStatusFor } from '../../../control-plane/fleet/gpu-status-for.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import type { GpuSample } from '../../../control-plane/store/telemetry-repository.ts'
import { openSqliteStore, type SqliteStoreOptions } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { openSqliteDb, type SqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { noGpuReadings } from '../../helpers/no-gpu-readings.ts'

/**
 * Fleets for the alert and dashboard tests. Clusters, nodes, GPUs and telemetry go through
 * the real repositories (store.fleet, store.telemetry). Tenants, jobs, GPU assignments and
 * invoices are INSERTed as raw rows into the contract tables of
 * sqlite-scheduling-migrations.ts, because the scheduling and billing repositories are being
 * written alongside: replace `rows` with their repositories once they land (a PostgreSQL run of
 * the suites would bring its own `rows`).
 */
export interface SchedulingRows {
  tenant: (input: { name: string, gpuQuota: number, status?: 'active' | 'inactive' }) => number
  job: (input: {
    clusterId: number
    status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'blocked'
    tenantId?: number | null
    name?: string
    gpuCount?: number
    gpuType?: string | null
    submittedAt: number
    startedAt?: number | null
    endedAt?: number | null
    pendingReason?: string | null
  }) => number
  assign: (jobId: number, gpuId: number, at: number, model?: string | null) => void
  release: (jobId: number, gpuId: number, at: number) => void
  setJobStatus: (jobId: number, status: string, at: number) => void
  invoice: (input: { tenantId: number, periodStart: number, periodEnd: number, amountCents: number, status?: 'pending' | 'paid' | 'overdue' }) => number
  setRate: (gpuType: string, centsPerGpuHour: number) => void
  /** Raw count of a table's rows (tests prove a rejected request wrote nothing). */
  count: (table: string) => number
}

export interface InsightStore { store: Store, rows: SchedulingRows }

/** Synchronous raw SQL with `?` placeholders: rows of a SELECT or RETURNING. */
export type SyncQuery = (sql: string, ...args: unknown[]) => Array<Record<string, unknown>>

export function schedulingRows (db: SqliteDb): SchedulingRows {
  return schedulingRowsWith((sql, ...args) => db.stmt(sql).all(...args as SQLInputValue[]) as Array<Record<string, unknown>>)
}

/** The same rows over any engine's synchronous query (the PostgreSQL suites pass test/helpers/sync-sql.ts). */
export function schedulingRowsWith (query: SyncQuery): SchedulingRows {
  const id = (rows: Array<Record<string, unknown>>) => Number(rows[0]!.id)
  return {
    tenant ({ name, gpuQuota, status = 'active' }) {
      return id(query('INSERT INTO tenants (name, gpu_quota, status, created_at, updated_at) VALUES (?, ?, ?, 0, 0) RETURNING id', name, gpuQuota, status))
    },
    job (j) {
      return id(query(`INSERT INTO jobs (cluster_id, tenant_id, name, gpu_count, gpu_type, status, pending_reason, submitted_at, started_at, ended_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      j.clusterId, j.tenantId ?? null, j.name ?? 'job', j.gpuCount ?? 1, j.gpuType ?? null, j.status, j.pendingReason ?? null,
      j.submittedAt, j.startedAt ?? null, j.endedAt ?? null))
    },
    assign (jobId, gpuId, at, model = null) {
      query('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at) VALUES (?, ?, COALESCE(?, (SELECT model FROM gpus WHERE id = ?)), ?)',
        jobId, gpuId, model, gpuId, at)
    },
    release (jobId, gpuId, at) {
      query('UPDATE job_gpus SET released_at = ? WHERE job_id = ? AND gpu_id = ?', at, jobId, gpuId)
    },
    setJobStatus (jobId, status, at) {
      query("UPDATE jobs SET status = ?, ended_at = CASE WHEN ? IN ('completed', 'failed', 'cancelled') THEN ? ELSE ended_at END WHERE id = ?",
        status, status, at, jobId)
    },
    invoice ({ tenantId, periodStart, periodEnd, amountCents, status = 'pending' }) {
      return id(query(`INSERT INTO invoices (tenant_id, billed_tenant_id, period_start, period_end, days, total_gpu_seconds, amount_cents, status, line_items, created_at)
        VALUES (?, ?, ?, ?, ?, 0, ?, ?, '[]', ?) RETURNING id`, tenantId, tenantId, periodStart, periodEnd, Math.round((periodEnd - periodStart) / 86_400_000), amountCents, status, periodEnd))
    },
    setRate (gpuType, cents) {
      query('INSERT INTO rates (gpu_type, cents_per_gpu_hour, updated_at) VALUES (?, ?, 0) ON CONFLICT (gpu_type) DO UPDATE SET cents_per_gpu_hour = excluded.cents_per_gpu_hour',
        gpuType, cents)
    },
    count (table) {
      if (!/^[a-z_]+$/.test(table)) throw new Error(`bad table ${table}`)
      return Number(query(`SELECT COUNT(*) AS n FROM ${table}`)[0]!.n)
    },
  }
}

/** A real SQLite store (a file, WAL) plus a second connection for the raw rows; `close` closes both. */
export async function openInsightStore (path: string, options: SqliteStoreOptions = {}): Promise<InsightStore & { close: () => Promise<void> }> {
  const store = await openSqliteStore(path, options)
  const db = openSqliteDb(path)
  return { store, rows: schedulingRows(db), async close () { db.close(); await store.close() } }
}

/** Fresh insight stores in a directory of their own, all closed (then the directory removed) when the test ends. */
export function insightStoreOpener (t: Test): () => Promise<InsightStore> {
  // Our own directory, removed after every store of it is closed: tap's t.testdir() removal
  // could run while a closing store's checkpoint thread still held its WAL (ENOTEMPTY, then the
  // file never ended: seen once in the full suite).
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-insight-'))
  const opened: Array<InsightStore & { close: () => Promise<void> }> = []
  t.teardown(async () => {
    for (const store of opened) await store.close()
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
  })
  return async () => {
    const store = await openInsightStore(join(dir, `s${opened.length}.db`))
    opened.push(store)
    return store
  }
}

export interface NodeSpec { cluster?: string, hostname: string, gpus: number, model?: string }

/** Fleet and telemetry through the real repositories. */
export function fleetBuilder (store: Store) {
  return {
    /** Cluster (found or made), online node seen at `at`, `gpus` GPUs with indexes 0..n-1. */
    async node ({ cluster = 'c1', hostname, gpus, model = 'NVIDIA H100 80GB HBM3' }: NodeSpec, at: number) {
      const c = await store.fleet.ensureCluster(cluster, 'us-east-1', at)
      const { node } = await store.fleet.upsertNode({ clusterId: c.id, hostname, totalGpus: gpus }, at)
      const made = await store.fleet.registerGpus(node.id, Array.from({ length: gpus }, (_, i) => ({ gpuIndex: i, model })), at)
      return { clusterId: c.id, nodeId: node.id, gpuIds: made.map(g => g.id) }
    },

    /** Live readings (as ingest leaves them) for one GPU. */
    async reading (gpuId: number, r: { utilizationPct?: number | null, temperatureC?: number | null }, at: number) {
      const u = r.utilizationPct ?? null
      await store.fleet.recordActivity({
        seen: [],
        readings: [{
          gpuId, at, status: gpuStatusFor(u),
          utilizationPct: u, temperatureC: r.temperatureC ?? null, memoryUsedMb: null, memoryTotalMb: null, powerDrawW: null,
        }],
      })
    },

    /** Raw samples for GPU `gpuIndex` of a node every `stepMs` in [from, to); `util` may vary with time. */
    async samples (nodeId: number, gpuIndex: number, fromMs: number, toMs: number, stepMs: number,
      util: number | null | ((at: number) => number | null), extra: Partial<GpuSample> = {}) {
      const samples: GpuSample[] = []
      for (let at = fromMs; at < toMs; at += stepMs) samples.push(sample(gpuIndex, at, typeof util === 'function' ? util(at) : util, extra))
      for (let i = 0; i < samples.length; i += 2000) {
        await store.telemetry.insertSamples([{ nodeId, clusterId: null, hostname: null, samples: samples.slice(i, i + 2000) }])
      }
    },
  }
}

export function sample (gpuId: number, recordedAt: number, utilizationPct: number | null, extra: Partial<GpuSample> = {}): GpuSample {
  return {
    ...noGpuReadings(),
    gpuId, recordedAt, name: 'NVIDIA H100 80GB HBM3', uuid: null, pciBusId: null, powerDrawW: 300, tempC: 50,
    memoryUsedMb: 1000, memoryTotalMb: 81920, utilizationPct, powerDrawAvgW: null, powerLimitW: null, memoryTempC: null,
    memoryReservedMb: null, memoryUtilizationPct: null, smClockMhz: null, memClockMhz: null, eccErrorsCorrected: 0,
    eccErrorsUncorrected: 0, ...extra,
  }
}
