import type { ComputeApp } from '../collector/snapshot.ts'
import type { GpuProcess } from '../../shared/wire/job-execution.ts'
import type { JobOfPid } from './job-of-pid.ts'

/** The control plane refuses longer process names (process-report-schemas.ts). */
const MAX_NAME = 4096

/**
 * The compute apps of the newest `--query-compute-apps` read, each with the executed job it
 * belongs to (`jobOfPid`, by the process's session). Without a jobOfPid (job execution off)
 * every process has job_id null. On MIG hosts nvidia-smi names the parent GPU's UUID (the
 * captures show no GI/CI columns in compute apps), so a process on a MIG device is attributed
 * to its GPU, as the allocation that holds it. A (GPU, pid) pair listed twice is reported once.
 */
export function attributeProcesses (apps: readonly ComputeApp[], jobOfPid?: JobOfPid | undefined): GpuProcess[] {
  const seen = new Set<string>()
  const out: GpuProcess[] = []
  for (const app of apps) {
    const key = `${app.gpuUuid}/${app.pid}`
    if (seen.has(key)) continue
    seen.add(key)
    const job = jobOfPid?.(app.pid) ?? null
    out.push({
      gpu_uuid: app.gpuUuid,
      pid: app.pid,
      process_name: app.processName.slice(0, MAX_NAME),
      used_memory_mib: app.usedMemoryMib === null ? null : Math.round(app.usedMemoryMib),
      job_id: job?.job_id ?? null,
      run: job?.run ?? null,
    })
  }
  return out
}
