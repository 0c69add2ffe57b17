import type { CyclePlan, SchedulerSnapshot } from '../store/job-repository.ts'
import { gpuTypeKey, gpuTypeMatches } from './gpu-type-matches.ts'

/** Per cluster, the gpu_type keys (gpuTypeKey; '' = any GPU) of jobs a cycle left waiting for GPUs. */
export type WaitingForGpus = ReadonlyMap<number, ReadonlySet<string>>

/**
 * What a cycle left waiting for GPUs: jobs neither started nor held back by a limit (status
 * `queued`: CAPACITY, PRIORITY). A GPU that turns free later is worth a cycle only if one of
 * these could take it; a job blocked by its quota, its tenant or an operator could not.
 */
export function waitingForGpus (snapshot: SchedulerSnapshot, plan: CyclePlan): WaitingForGpus {
  const started = new Set(plan.starts.map(s => s.jobId))
  const status = new Map(plan.changes.map(c => [c.jobId, c.status]))
  const out = new Map<number, Set<string>>()
  for (const job of snapshot.jobs) {
    if (started.has(job.id) || (status.get(job.id) ?? job.status) !== 'queued') continue
    let keys = out.get(job.clusterId)
    if (keys === undefined) out.set(job.clusterId, keys = new Set())
    keys.add(gpuTypeKey(job.gpuType))
  }
  return out
}

/** Whether a free GPU of `model` in `clusterId` is one a waiting job asks for. */
export function wantsGpu (waiting: WaitingForGpus, clusterId: number, model: string | null): boolean {
  const keys = waiting.get(clusterId)
  if (keys === undefined) return false
  for (const key of keys) if (gpuTypeMatches(key, model)) return true
  return false
}
