import type { GpuProcess } from '../../shared/wire/job-execution.ts'
import type { JudgedProcess, NodeGpuHolder } from '../store/process-repository.ts'

const sameUuid = (a: string | null, b: string): boolean => a !== null && a.toLowerCase() === b.toLowerCase()

/**
 * Judges a node's reported GPU processes against the running jobs holding its GPUs (by UUID):
 * - a GPU held by a running job J: an allocation-only job owns whatever runs on its GPUs; an
 *   executed job owns only the processes the agent mapped to it (its job_id, and its current
 *   run when the agent names one); anything else there is `outside_allocation`;
 * - a GPU no running job holds (or one the fleet does not know): a process the agent mapped to
 *   a job is that job's process outside its allocation, any other is `unallocated`.
 * A job is executed when it carries a command (the holder's jobExecuted): a stranger on its GPU
 * is flagged even in a report that maps none of its own processes to it.
 */
export function judgeProcesses (processes: readonly GpuProcess[], holders: readonly NodeGpuHolder[]): JudgedProcess[] {
  return processes.map(p => {
    const gpu = holders.find(h => sameUuid(h.uuid, p.gpu_uuid)) ?? null
    const base = {
      gpuUuid: p.gpu_uuid,
      pid: p.pid,
      processName: p.process_name,
      usedMemoryMib: p.used_memory_mib,
      reportedJobId: p.job_id,
      reportedRun: p.run,
      gpuId: gpu?.gpuId ?? null,
    }
    const holder = gpu?.jobId ?? null
    if (holder === null) {
      return p.job_id === null
        ? { ...base, jobId: null, verdict: 'unallocated' as const }
        : { ...base, jobId: p.job_id, verdict: 'outside_allocation' as const }
    }
    const ownRun = p.job_id === holder && (p.run === null || p.run === gpu?.jobStartedAt)
    const allocationOnly = p.job_id === null && gpu?.jobExecuted !== true
    if (ownRun || allocationOnly) return { ...base, jobId: holder, verdict: 'attributed' as const }
    return { ...base, jobId: p.job_id ?? holder, verdict: 'outside_allocation' as const }
  })
}
