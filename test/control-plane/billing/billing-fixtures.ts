import type { SQLInputValue } from 'node:sqlite'
import type { SqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { createSqlFleetRepository } from '../../../control-plane/store/sql/sql-fleet-repository.ts'
import { createSqlTenantRepository } from '../../../control-plane/store/sql/sql-tenant-repository.ts'
import { createSqlJobRepository } from '../../../control-plane/store/sql/sql-job-repository.ts'
import { sqliteJobHotPaths } from '../../../control-plane/store/sqlite/sqlite-job-hot-paths.ts'
import { createSqlBillingRepository } from '../../../control-plane/store/sql/sql-billing-repository.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { openPartialSqliteStore } from '../../helpers/open-partial-sqlite-store.ts'

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

/** Raw SQL (`?` placeholders) on the store's database: rows of a SELECT or RETURNING. */
export type RawQuery = (sql: string, ...args: unknown[]) => Promise<Array<Record<string, unknown>>>

export function usageFixtures (store: Pick<Store, 'fleet'>, db: SqliteDb): UsageFixtures {
  return usageFixturesWith(store, async (sql, ...args) => db.raw.prepare(sql).all(...args as SQLInputValue[]) as Array<Record<string, unknown>>)
}

/** The same fixtures over any engine's raw query (the PostgreSQL suites pass a pg pool's). */
export function usageFixturesWith (store: Pick<Store, 'fleet'>, query: RawQuery): UsageFixtures {
  let nodes = 0
  let clusterId: number | null = null
  let jobs = 0
  return {
    async tenant (name) {
      const [r] = await query("INSERT INTO tenants (name, gpu_quota, created_at, updated_at) VALUES (?, 8, 0, 0) RETURNING id", name)
      return Number(r!.id)
    },
    async gpus (models) {
      if (clusterId === null) clusterId = (await store.fleet.ensureCluster('billing-test', 'us-east-1', 0)).id
      const { node } = await store.fleet.upsertNode({ clusterId, hostname: `gpu-${++nodes}` }, 0)
      await store.fleet.registerGpus(node.id, models.map((m, i) => ({ gpuIndex: i, ...(m === null ? {} : { model: m }) })), 0)
      return (await store.fleet.listGpus({ nodeId: node.id })).map(g => g.id)
    },
    async job ({ tenantId, name, gpuCount = 1 }) {
      if (clusterId === null) clusterId = (await store.fleet.ensureCluster('billing-test', 'us-east-1', 0)).id
      const [r] = await query(`INSERT INTO jobs (cluster_id, tenant_id, name, gpu_count, status, submitted_at)
        VALUES (?, ?, ?, ?, 'running', 0) RETURNING id`, clusterId, tenantId, name ?? `job-${++jobs}`, gpuCount)
      return Number(r!.id)
    },
    async deleteTenant (id) {
      await query('UPDATE jobs SET tenant_id = NULL WHERE tenant_id = ?', id)
      await query('DELETE FROM tenants WHERE id = ?', id)
    },
    async assign (jobId, gpuId, assignedAt, releasedAt, model) {
      const m = model !== undefined ? model : ((await query('SELECT model FROM gpus WHERE id = ?', gpuId))[0]!.model as string | null)
      await query('INSERT INTO job_gpus (job_id, gpu_id, gpu_model, assigned_at, released_at) VALUES (?, ?, ?, ?, ?)',
        jobId, gpuId, m, assignedAt, releasedAt)
    },
  }
}

/**
 * A store with the repositories billing touches (fleet, tenants, jobs, billing) on one
 * migrated database, the others stubbed: these tests reach no other domain.
 * `path` defaults to an in-memory database.
 */
export function openBillingStore (path = ':memory:'): { store: Store, db: SqliteDb, fixtures: UsageFixtures } {
  const { store, db } = openPartialSqliteStore((sql, db) => ({
    fleet: createSqlFleetRepository(sql),
    tenants: createSqlTenantRepository(sql),
    jobs: createSqlJobRepository(sql, sqliteJobHotPaths(db)),
    billing: createSqlBillingRepository(sql),
  }), path)
  return { store, db, fixtures: usageFixtures(store, db) }
}
