import { DatabaseSync, type SQLInputValue } from 'node:sqlite'

/**
 * Test-only: writes raw rows into the scheduling and billing tables (tenants, jobs, job_gpus,
 * job_events, rates) of a SQLite store file through a second connection, because analytics
 * only reads them and their owners' repositories are still being written. Replace with the
 * scheduling repository's own calls once it lands. Clusters, nodes and GPUs go through
 * store.fleet as usual.
 */
export interface JobRow {
  clusterId: number
  name?: string
  kind?: 'training' | 'benchmark' | 'compute' | 'inference' | 'endpoint'
  tenantId?: number | null
  gpuCount?: number
  gpuType?: string | null
  status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'blocked'
  submittedAt: number
  startedAt?: number | null
  endedAt?: number | null
  nodeId?: number | null
}

export function schedulingRows (dbPath: string) {
  const db = new DatabaseSync(dbPath)
  db.exec('PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;')
  return schedulingRowsWith((sql, ...args) => db.prepare(sql).all(...args as SQLInputValue[]) as Array<Record<string, unknown>>, () => {
    if (db.isOpen) db.close()
  })
}

/** The same rows over any engine's synchronous query (`?` placeholders; the PostgreSQL suite passes test/helpers/sync-sql.ts). */
export function schedulingRowsWith (query: (sql: string, ...args: unknown[]) => Array<Record<string, unknown>>, close: () => void) {
  const id = (rows: Array<Record<string, unknown>>) => Number(rows[0]!.id)
  return {
    tenant (name: string, at = 0): number {
      return id(query('INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES (?, 8, ?, ?) RETURNING id', name, at, at))
    },
    job (j: JobRow): number {
      return id(query(`INSERT INTO jobs (cluster_id, tenant_id, name, kind, gpu_count, gpu_type, status, submitted_at, started_at, ended_at, node_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, j.clusterId, j.tenantId ?? null, j.name ?? 'job', j.kind ?? 'compute', j.gpuCount ?? 1,
      j.gpuType ?? null, j.status ?? (j.endedAt != null ? 'completed' : j.startedAt != null ? 'running' : 'queued'), j.submittedAt,
      j.startedAt ?? null, j.endedAt ?? null, j.nodeId ?? null))
    },
    jobGpu (g: { jobId: number, gpuId: number, gpuModel?: string | null, assignedAt: number, releasedAt?: number | null }): void {
      query('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at, released_at) VALUES (?, ?, ?, ?, ?)',
        g.jobId, g.gpuId, g.gpuModel ?? null, g.assignedAt, g.releasedAt ?? null)
    },
    jobEvent (e: { jobId: number, kind: string, at: number, gpuId?: number | null, nodeId?: number | null, detail?: string | null }): number {
      return id(query('INSERT INTO job_events (job_id, kind, at, gpu_id, node_id, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
        e.jobId, e.kind, e.at, e.gpuId ?? null, e.nodeId ?? null, e.detail ?? null))
    },
    rate (gpuType: string, cents: number): void {
      query(`INSERT INTO rates (gpu_type, cents_per_gpu_hour, updated_at) VALUES (?, ?, 0)
        ON CONFLICT (gpu_type) DO UPDATE SET cents_per_gpu_hour = excluded.cents_per_gpu_hour`, gpuType, cents)
    },
    close,
  }
}

export type SchedulingRows = ReturnType<typeof schedulingRows>
