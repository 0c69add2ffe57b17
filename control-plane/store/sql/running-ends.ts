import type { RunningEnd } from '../job-repository.ts'

/**
 * Every GPU a running job holds, with what its expected end is made of; both engines' cycle
 * snapshots read it (only when a waiting job could backfill by time) and fold it with
 * {@link runningEnds}.
 */
export const RUNNING_GPUS_SQL = `SELECT j.id, j.started_at, j.time_limit_min, j.estimated_duration_min, jg.gpu_id
    FROM job_gpus jg JOIN jobs j ON j.id = jg.job_id WHERE jg.released_at IS NULL AND j.status = 'running'`

export interface RunningGpuRow { jobId: number, startedAt: number, timeLimitMin: number | null, estimatedDurationMin: number | null, gpuId: number }

/**
 * Per running job, node and model: its GPUs and when it is expected to free them. A time
 * limit is a promise (the scheduler ends the job there); an estimate is the submitter's word,
 * still the best guess there is (Slurm uses the time limit alone; seed 003 has the estimate).
 * GPUs the inventory does not know (registered since it was cached) are left out.
 */
export function runningEnds (rows: Iterable<RunningGpuRow>, gpus: ReadonlyMap<number, { nodeId: number, model: string | null }>): RunningEnd[] {
  const byKey = new Map<string, RunningEnd>()
  for (const r of rows) {
    const g = gpus.get(r.gpuId)
    if (g === undefined) continue
    const key = `${r.jobId}\u0000${g.nodeId}\u0000${g.model ?? ''}`
    let end = byKey.get(key)
    if (end === undefined) {
      const minutes = r.timeLimitMin ?? r.estimatedDurationMin
      end = { nodeId: g.nodeId, model: g.model, gpus: 0, at: minutes === null ? null : r.startedAt + minutes * 60_000 }
      byKey.set(key, end)
    }
    end.gpus++
  }
  return [...byKey.values()]
}
