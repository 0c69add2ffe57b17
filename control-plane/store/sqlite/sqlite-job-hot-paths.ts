import type { JobHotPaths } from '../sql/sql-job-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'
import { gpuInventory } from './sqlite-gpu-inventory.ts'
import { sqliteRunCycle } from './sqlite-run-cycle.ts'

/** The job repository's SQLite hot paths: the sync cycle and the cached inventory. */
export function sqliteJobHotPaths (db: SqliteDb): JobHotPaths {
  return {
    // Its sync transaction waits for an async one holding the connection (a submit, a tenant delete).
    runCycle: (at, trigger, options, plan) => db.serial(() => sqliteRunCycle(db, at, trigger, options, plan)),
    // A submit's capacity check must not read every GPU of the cluster.
    clusterModels: async (_q, clusterId, at) => gpuInventory(db, at).byClusterModel.get(clusterId) ?? [],
  }
}
