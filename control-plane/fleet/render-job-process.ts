import type { StoredProcess } from '../store/process-repository.ts'
import { iso } from './render-fleet.ts'

/** One process as GET /api/jobs/:id lists it. */
export function jobProcessJson (p: StoredProcess) {
  return {
    hostname: p.hostname,
    gpu_index: p.gpuIndex,
    gpu_uuid: p.gpuUuid,
    pid: p.pid,
    process_name: p.processName,
    used_memory_mib: p.usedMemoryMib,
    seen_at: iso(p.seenAt) as string,
    outside_allocation: p.verdict === 'outside_allocation',
  }
}
