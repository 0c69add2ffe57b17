import type { JobHotPaths } from '../sql/sql-job-repository.ts'
import type { PgDb } from './pg-db.ts'
import { pgClusterModels } from './pg-gpu-inventory.ts'
import { pgRunCycle } from './pg-run-cycle.ts'

/** The job repository's PostgreSQL hot paths: the cycle under row locks, inventory read in the transaction. */
export function pgJobHotPaths (db: PgDb): JobHotPaths {
  return {
    runCycle: (at, trigger, options, plan) => pgRunCycle(db, at, trigger, options, plan),
    clusterModels: (q, clusterId) => pgClusterModels(q, clusterId),
  }
}
