import type { SubmitContext, WaitVerdict } from '../store/job-repository.ts'
import { judgeLimits } from './judge-limits.ts'
import { modelCapacity } from './model-capacity.ts'

/**
 * The state a new job starts in (seed 003: a job over its limits is inserted as blocked, not
 * rejected). A job within its limits is queued as CAPACITY until the next cycle, due within
 * the scheduler's debounce, places it or says why it waits.
 */
export function judgeSubmission (job: { gpuCount: number, gpuType: string | null, clusterId: number }) {
  return (ctx: SubmitContext): WaitVerdict => {
    const { usable, mixed } = modelCapacity(job.gpuType, ctx.clusterModels)
    return judgeLimits({ ...job, clusterCapacity: usable, mixedCapacity: mixed, tenant: ctx.tenant })
      ?? { status: 'queued', pendingReason: 'CAPACITY', blockReason: null }
  }
}
