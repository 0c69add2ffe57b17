/**
 * The wire between an agent and the control plane for jobs the agents execute (issue 15).
 * Plain types and constants only: the agent imports this file, so zod stays off its runtime
 * path; the control plane's zod schemas mirror these types.
 *
 * The model is Kubernetes' kubelet: the control plane holds the desired state (the jobs
 * running on a node), the agent converges on it. The agent long-polls its node's assignment
 * set with its cluster-bound `ingest` key (no inbound call through firewalls), starts what is
 * new, and stops (SIGTERM, SIGKILL after a grace) what is no longer there: a cancelled job, a
 * job that timed out, a job requeued to another node while this one was cut off. A job is
 * identified on the node by (job_id, run): `run` changes every time the scheduler starts the
 * job, so a requeued job that lands on the same node again is a new run, never confused with
 * the old process.
 */

/** `GET` long poll: `?hostname=H&known=ETAG&wait_s=N` → 200 {@link AssignmentSet}. */
export const AGENT_ASSIGNMENTS_PATH = '/api/agent/assignments'
/** `POST` a {@link JobRunEvent} for job `:id`; 200 `{ok: true, job_status}`. */
export const agentJobEventsPath = (jobId: number): string => `/api/agent/jobs/${jobId}/events`
/** `POST` raw log bytes (application/octet-stream) for job `:id`: `?hostname=H&run=R&offset=N`. */
export const agentJobLogsPath = (jobId: number): string => `/api/agent/jobs/${jobId}/logs`
/** `POST` a {@link ProcessReport}: every GPU compute process on the node and its job. */
export const AGENT_PROCESSES_PATH = '/api/agent/processes'

/** The longest a long poll waits before answering an unchanged set. */
export const MAX_ASSIGNMENT_WAIT_S = 30
/** Largest log chunk one upload carries. */
export const MAX_LOG_CHUNK_BYTES = 256 * 1024

/** One job the control plane wants running on the node. */
export interface Assignment {
  job_id: number
  /** The job's current run: its started_at in epoch milliseconds (new on every start). */
  run: number
  /** argv; argv[0] is resolved by the job user's default PATH. */
  command: string[]
  /** Extra environment; CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES and PATH are never here. */
  env: Record<string, string>
  /** Working directory; null: the job user's home directory (or / when it has none). */
  workdir: string | null
  /** The assigned GPUs, in the order CUDA_VISIBLE_DEVICES lists them. */
  gpu_uuids: string[]
  gpu_indices: number[]
  /** Minutes it may run from `started_at`; null: no limit. */
  time_limit_min: number | null
  /** When the scheduler started it (ISO 8601), the origin of its time limit. */
  started_at: string
}

export interface AssignmentSet {
  node_id: number
  /** Changes whenever the set (or any member) changes; sent back as `known` on the next poll. */
  etag: string
  jobs: Assignment[]
}

/**
 * Why an executed job failed, as the agent saw it (jobs.end_reason on the control plane):
 * EXIT_CODE: it exited non-zero; SIGNAL: a signal ended it; LAUNCH_FAILED: it never started
 * (the job user is root or unknown, argv[0] not found, workdir missing; `message` says which);
 * TIMEOUT: the agent ended it at its time limit (the control plane may have said so first).
 */
export const RUN_FAILURES = ['EXIT_CODE', 'SIGNAL', 'LAUNCH_FAILED', 'TIMEOUT'] as const
export type RunFailure = typeof RUN_FAILURES[number]

export type JobRunEvent =
  | { event: 'started', hostname: string, run: number, pid: number, at: string }
  | {
    event: 'exited'
    hostname: string
    run: number
    at: string
    /** Exit status when it exited; null when a signal ended it or it never started. */
    exit_code: number | null
    /** e.g. "SIGKILL"; null when it exited. */
    signal: string | null
    /** null: exit 0 (completed), or it was stopped because it was no longer assigned. */
    failure: RunFailure | null
    message: string | null
  }

/** One GPU compute process on the node (nvidia-smi --query-compute-apps) and whose it is. */
export interface GpuProcess {
  gpu_uuid: string
  pid: number
  process_name: string
  used_memory_mib: number | null
  /** The executed job whose process tree (session) it belongs to; null: none. */
  job_id: number | null
  run: number | null
}

export interface ProcessReport {
  hostname: string
  at: string
  processes: GpuProcess[]
}
