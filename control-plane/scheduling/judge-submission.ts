import type { SubmitContext, WaitVerdict } from '../store/job-repository.ts'
import { gpuTypeKey, gpuTypeMatches } from './gpu-type-matches.ts'
import { judgeLimits } from './judge-limits.ts'

/**
 * The state a new job starts in (seed 003: a job over its limits is inserted as blocked, not
 * rejected). A job within its limits is queued as CAPACITY until the next cycle, due within
 * the scheduler's debounce, places it or says why it waits.
 */
export function judgeSubmission (job: { gpuCount: number, gpuType: string | null, clusterId: number }) {
  return (ctx: SubmitContext): WaitVerdict => {
    const key = gpuTypeKey(job.gpuType)
    let capacity = 0
    for (const m of ctx.clusterModels) if (gpuTypeMatches(key, m.model)) capacity += m.count
    return judgeLimits({ ...job, clusterCapacity: capacity, tenant: ctx.tenant })
      ?? { status: 'queued', pendingReason: 'CAPACITY', blockReason: null }
  }
}
