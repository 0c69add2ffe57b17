import type { Job, JobEvent, JobGpu } from '../store/job-repository.ts'
import { iso } from '../fleet/render-fleet.ts'
import { jobProcessJson } from '../fleet/render-job-process.ts'
import type { StoredProcess } from '../store/process-repository.ts'

/** A job as seed 003 shows it: the seed's fields first, then gpufleet's additions. */
export function jobJson (j: Job) {
  return {
    id: j.id,
    name: j.name,
    status: j.status,
    gpu_count: j.gpuCount,
    priority: j.priority,
    block_reason: j.blockReason,
    submitted_at: iso(j.submittedAt) as string,
    pending_reason: j.pendingReason,
    cluster_id: j.clusterId,
    tenant_id: j.tenantId,
    kind: j.kind,
    gpu_type: j.gpuType,
    submitted_by: j.submittedBy,
    estimated_duration_min: j.estimatedDurationMin,
    started_at: iso(j.startedAt),
    ended_at: iso(j.endedAt),
    node_id: j.nodeId,
    time_limit_min: j.timeLimitMin,
    requeue: j.requeue,
    end_reason: j.endReason,
    executed: j.command !== null,
    command: j.command,
    env: j.env,
    workdir: j.workdir,
    pid: j.pid,
    exit_code: j.exitCode,
    exit_signal: j.exitSignal,
  }
}

export function jobDetailJson (j: Job, gpus: readonly JobGpu[], events: readonly JobEvent[], processes: readonly StoredProcess[] = []) {
  return {
    ...jobJson(j),
    gpus: gpus.map(g => ({
      gpu_id: g.gpuId,
      node_id: g.nodeId,
      hostname: g.hostname,
      gpu_index: g.gpuIndex,
      model: g.model,
      assigned_at: iso(g.assignedAt) as string,
      released_at: iso(g.releasedAt),
    })),
    events: events.map(e => ({ kind: e.kind, at: iso(e.at) as string, gpu_id: e.gpuId, node_id: e.nodeId, detail: e.detail })),
    processes: processes.map(jobProcessJson),
  }
}
