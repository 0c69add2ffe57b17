import type { EndReason, Job, JobEvent, JobGpu, JobKind, JobStatus, PendingReason, SchedulerCycle } from '../job-repository.ts'
import { numOrNull, strOrNull } from './cells.ts'

/** Row → record mappers for the SQLite job tables (columns as in sqlite-scheduling-migrations.ts). */

type Row = Record<string, unknown>

const jsonOrNull = (v: unknown): Record<string, unknown> | null => (v === null || v === undefined ? null : JSON.parse(String(v)) as Record<string, unknown>)

export const JOB_COLUMNS = `id, cluster_id, tenant_id, name, kind, gpu_count, gpu_type, priority, status, block_reason, pending_reason,
  submitted_by, estimated_duration_min, submitted_at, started_at, ended_at, node_id, requeue, end_reason, time_limit_min,
  command, env, workdir, pid, exit_code, exit_signal`

export function toJob (r: Row): Job {
  return {
    id: Number(r.id),
    clusterId: Number(r.cluster_id),
    tenantId: numOrNull(r.tenant_id),
    name: String(r.name),
    kind: r.kind as JobKind,
    gpuCount: Number(r.gpu_count),
    gpuType: strOrNull(r.gpu_type),
    priority: Number(r.priority),
    status: r.status as JobStatus,
    blockReason: strOrNull(r.block_reason),
    pendingReason: strOrNull(r.pending_reason) as PendingReason | null,
    submittedBy: strOrNull(r.submitted_by),
    estimatedDurationMin: numOrNull(r.estimated_duration_min),
    submittedAt: Number(r.submitted_at),
    startedAt: numOrNull(r.started_at),
    endedAt: numOrNull(r.ended_at),
    nodeId: numOrNull(r.node_id),
    timeLimitMin: numOrNull(r.time_limit_min),
    requeue: Number(r.requeue) !== 0,
    endReason: strOrNull(r.end_reason) as EndReason | null,
    command: r.command === null || r.command === undefined ? null : JSON.parse(String(r.command)) as string[],
    env: r.env === null || r.env === undefined ? null : JSON.parse(String(r.env)) as Record<string, string>,
    workdir: strOrNull(r.workdir),
    pid: numOrNull(r.pid),
    exitCode: numOrNull(r.exit_code),
    exitSignal: strOrNull(r.exit_signal),
  }
}

export function toJobGpu (r: Row): JobGpu {
  return {
    gpuId: Number(r.gpu_id),
    nodeId: Number(r.node_id),
    hostname: String(r.hostname),
    gpuIndex: Number(r.gpu_index),
    model: strOrNull(r.gpu_model),
    assignedAt: Number(r.assigned_at),
    releasedAt: numOrNull(r.released_at),
  }
}

export function toJobEvent (r: Row): JobEvent {
  return {
    id: Number(r.id),
    jobId: Number(r.job_id),
    kind: String(r.kind),
    at: Number(r.at),
    gpuId: numOrNull(r.gpu_id),
    nodeId: numOrNull(r.node_id),
    detail: jsonOrNull(r.detail),
  }
}

export function toCycle (r: Row): SchedulerCycle {
  return {
    id: Number(r.id),
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    trigger: String(r.trigger),
    processed: Number(r.processed),
    started: Number(r.started),
    blocked: Number(r.blocked),
    detail: jsonOrNull(r.detail) ?? {},
  }
}
