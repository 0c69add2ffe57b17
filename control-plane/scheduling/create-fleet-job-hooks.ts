import type { JobCounts } from '../fleet/create-fleet-router.ts'
import type { Store } from '../store/store.ts'
import { jobJson } from './render-job.ts'

/** Jobs shown in a cluster's detail (seed 003 GET /api/clusters/:id "recent jobs"). */
export const RECENT_JOBS = 10

/**
 * What the fleet router takes for its live job counts and a cluster's recent jobs.
 * active_jobs = running; queued_jobs = waiting to start, whatever the reason (queued or
 * blocked), the same meaning as a tenant's queued_jobs. recentJobs takes an optional tenant
 * so a tenant-bound caller can be shown only its own jobs.
 */
export function createFleetJobHooks (store: Store) {
  return {
    async jobCounts (clusterIds: number[]): Promise<Map<number, JobCounts>> {
      const rows = await store.jobs.countsByCluster(clusterIds)
      return new Map([...rows].map(([id, r]) => [id, { active_jobs: r.running, queued_jobs: r.waiting }]))
    },
    async recentJobs (clusterId: number, tenantId: number | null = null): Promise<unknown[]> {
      return (await store.jobs.recent(clusterId, RECENT_JOBS, tenantId)).map(jobJson)
    },
  }
}
