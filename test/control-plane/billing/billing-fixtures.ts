import type { SqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { createSqliteFleetRepository } from '../../../control-plane/store/sqlite/sqlite-fleet-repository.ts'
import { createSqliteTenantRepository } from '../../../control-plane/store/sqlite/sqlite-tenant-repository.ts'
import { createSqliteJobRepository } from '../../../control-plane/store/sqlite/sqlite-job-repository.ts'
import { createSqliteBillingRepository } from '../../../control-plane/store/sqlite/sqlite-billing-repository.ts'
import type { Store } from '../../../control-plane/store/store.ts'

/**
 * Tenants, jobs and GPU assignments for billing tests. The scheduling domain owns those tables
 * and its repository is being written in parallel, so until it lands these fixtures insert the
 * rows through the store's raw database (test code only; production billing only reads them).
 * Clusters, nodes and GPUs go through store.fleet. Switch to store.tenants/store.jobs when they exist.
 */
export interface UsageFixtures {
  tenant: (name: string) => Promise<number>
  /** GPUs of these models on one new node; returns their ids in order. */
  gpus: (models: ReadonlyArray<string | null>) => Promise<number[]>
  job: (input: { tenantId: number | null, name?: string, gpuCount?: number }) => Promise<number>
  /** Deletes a tenant as seed 003 says (jobs unlinked first); throws if the database refuses. */
  deleteTenant: (id: number) => Promise<void>
  /** One job_gpus row; the model is copied from the GPU unless given (as the scheduler does). */
  assign: (jobId: number, gpuId: number, assignedAt: number, releasedAt: number | null, model?: string | null) => Promise<void>
}

export function usageFixtures (store: Pick<Store, 'fleet'>, db: SqliteDb): UsageFixtures {
  let nodes = 0
  let clusterId: number | null = null
  let jobs = 0
  return {
    async tenant (name) {
      const r = db.raw.prepare("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES (?, 8, 0, 0) RETURNING id").get(name) as { id: number }
      return r.id
    },
    async gpus (models) {
      if (clusterId === null) clusterId = (await store.fleet.ensureCluster('billing-test', 'us-east-1', 0)).id
      const { node } = await store.fleet.upsertNode({ clusterId, hostname: `gpu-${++nodes}` }, 0)
      await store.fleet.registerGpus(node.id, models.map((m, i) => ({ gpuIndex: i, ...(m === null ? {} : { model: m }) })), 0)
      return (await store.fleet.listGpus({ nodeId: node.id })).map(g => g.id)
    },
    async job ({ tenantId, name, gpuCount = 1 }) {
      if (clusterId === null) clusterId = (await store.fleet.ensureCluster('billing-test', 'us-east-1', 0)).id
      const r = db.raw.prepare(`INSERT INTO jobs (cluster_id, tenant_id, name, gpu_count, status, submitted_at)
        VALUES (?, ?, ?, ?, 'running', 0) RETURNING id`).get(clusterId, tenantId, name ?? `job-${++jobs}`, gpuCount) as { id: number }
      return r.id
    },
    async deleteTenant (id) {
      db.raw.prepare('UPDATE jobs SET tenant_id = NULL WHERE tenant_id = ?').run(id)
      db.raw.prepare('DELETE FROM tenants WHERE id = ?').run(id)
    },
    async assign (jobId, gpuId, assignedAt, releasedAt, model) {
      const m = model !== undefined ? model : ((db.raw.prepare('SELECT model FROM gpus WHERE id = ?').get(gpuId) as { model: string | null }).model)
      db.raw.prepare('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at, released_at) VALUES (?, ?, ?, ?, ?)')
        .run(jobId, gpuId, m, assignedAt, releasedAt)
    },
  }
}

/**
 * A store with the repositories billing touches (fleet, tenants, jobs, billing) on one
 * database, the others stubbed so these tests do not depend on other domains' progress.
 * `path` defaults to an in-memory database.
 */
export function openBillingStore (path = ':memory:'): { store: Store, db: SqliteDb, fixtures: UsageFixtures } {
  const db = openSqliteDb(path)
  const store: Store = {
    engine: 'sqlite',
    fleet: createSqliteFleetRepository(db),
    tenants: createSqliteTenantRepository(db),
    jobs: createSqliteJobRepository(db),
    billing: createSqliteBillingRepository(db),
    apiKeys: {} as Store['apiKeys'],
    telemetry: {} as Store['telemetry'],
    alerts: {} as Store['alerts'],
    dashboard: {} as Store['dashboard'],
    analytics: {} as Store['analytics'],
    sessions: {} as Store['sessions'],
    async close () { db.close() },
  }
  return { store, db, fixtures: usageFixtures(store, db) }
}
