import type { EndReason, JobStatus, JobKind, PendingReason } from '../../shared/wire/enums.ts'
import type { GpuStatus } from './fleet-repository.ts'
import type { TenantStatus } from './tenant-repository.ts'

/**
 * Job storage (seed 003 "Job Management") and the scheduler's transaction, async so SQLite and
 * PostgreSQL serve the same interface. Times are UTC epoch milliseconds. The rules (what may
 * start, why a job waits, which transitions are legal) live in control-plane/scheduling and
 * are handed in as pure functions or plans; the repository reads and writes atomically.
 */

export { JOB_STATUSES, type JobStatus } from '../../shared/wire/enums.ts'
export { JOB_KINDS, type JobKind } from '../../shared/wire/enums.ts'
export const ENDED_STATUSES = ['completed', 'failed', 'cancelled'] as const
export type EndedStatus = typeof ENDED_STATUSES[number]

export { PENDING_REASONS, type PendingReason, END_REASONS, type EndReason } from '../../shared/wire/enums.ts'
export type WaitingStatus = 'queued' | 'blocked'

/** What a submission asks for; a stored Job carries all of it. */
export interface JobInput {
  clusterId: number
  tenantId: number | null
  name: string
  kind: JobKind
  gpuCount: number
  gpuType: string | null
  priority: number
  submittedBy: string | null
  estimatedDurationMin: number | null
  /** Absent (undefined): the cluster's default_time_limit_min; null: no limit. */
  timeLimitMin?: number | null | undefined
  /** Default false. */
  requeue?: boolean | undefined
  /** argv: the node's agent runs the job (issue 15). Absent or null: an allocation only (seed 003). */
  command?: string[] | null | undefined
  /** Extra environment for the command (only with one). */
  env?: Record<string, string> | null | undefined
  /** Absolute working directory for the command (only with one); null: the job user's home. */
  workdir?: string | null | undefined
}

export interface Job extends JobInput {
  id: number
  status: JobStatus
  blockReason: string | null
  pendingReason: PendingReason | null
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  /** The node holding the job's GPUs (the one holding most of them for a multi-node job). */
  nodeId: number | null
  /** Minutes it may run; past started_at + this the scheduler ends it (TIMEOUT). Null: no limit. */
  timeLimitMin: number | null
  /** Back to the queue, not failed, when its node is lost. */
  requeue: boolean
  /** Set when the system ended it (NODE_FAIL, TIMEOUT, or its agent's EXIT_CODE, SIGNAL, LAUNCH_FAILED); null otherwise. */
  endReason: EndReason | null
  command: string[] | null
  env: Record<string, string> | null
  workdir: string | null
  /** The current run's process id, as its agent reported it; null before (and after a requeue). */
  pid: number | null
  /** How the last run ended, as its agent reported it. */
  exitCode: number | null
  exitSignal: string | null
}

/** One running executed job as a node's agent runs it (job-execution.ts Assignment). */
export interface NodeAssignment {
  jobId: number
  /** started_at: a new run every time the scheduler starts the job. */
  run: number
  command: string[]
  env: Record<string, string>
  workdir: string | null
  timeLimitMin: number | null
  /** The job's unreleased GPUs on this node, by index. */
  gpus: Array<{ index: number, uuid: string | null }>
}

/** What a node's agent reported when a run ended (job-execution.ts JobRunEvent 'exited'). */
export interface RunExit {
  exitCode: number | null
  signal: string | null
  /** null: it exited 0 (completed) or stopped because it was no longer assigned. */
  failure: EndReason | null
  message: string | null
}

/**
 * ended: this report ended the current run (the job now completed or failed);
 * recorded: the run had already ended (cancelled, TIMEOUT, NODE_FAIL) and is the job's last:
 * its exit is kept, the status is not touched; ignored: an old run, or a report already taken.
 */
export interface RunOutcome { kind: 'ended' | 'recorded' | 'ignored', job: Job }

/** What a submission is judged on, read in the submit's own transaction. */
export interface SubmitContext {
  tenant: { id: number, gpuQuota: number, status: TenantStatus, gpusInUse: number } | null
  /** Every GPU registered in the cluster (any node state), counted per model. */
  clusterModels: Array<{ model: string | null, count: number }>
}

/** The state a job waits in, with its typed and human reasons. */
export interface WaitVerdict {
  status: WaitingStatus
  pendingReason: PendingReason
  blockReason: string | null
}

export type SubmitResult =
  | { ok: true, job: Job }
  | { ok: false, reason: 'cluster_not_found' | 'tenant_not_found' }

/** A job's state as last read: a change applies only if the job is still in it (compare-and-set). */
export interface JobExpectation {
  status: JobStatus
  pendingReason: PendingReason | null
}

export type JobChange =
  /** Ends the job; a running job's GPUs are released (job_gpus.released_at) in the same transaction. */
  | { kind: 'end', status: EndedStatus, by: string | null }
  /** Operator hold: blocked / OPERATOR_HOLD until released. Also rewrites the reason of a held job. */
  | { kind: 'hold', blockReason: string, by: string | null }
  /** Lifts a hold: queued, waiting for the next cycle to say why it still waits. */
  | { kind: 'release', pendingReason: PendingReason, by: string | null }

export interface JobGpu {
  gpuId: number
  nodeId: number
  hostname: string
  gpuIndex: number
  /** The model at assignment time (what billing prices). */
  model: string | null
  assignedAt: number
  releasedAt: number | null
}

export interface JobEvent {
  id: number
  jobId: number
  kind: string
  at: number
  gpuId: number | null
  nodeId: number | null
  detail: Record<string, unknown> | null
}

export interface JobFilter {
  status?: JobStatus | undefined
  tenantId?: number | undefined
  clusterId?: number | undefined
  kind?: JobKind | undefined
  limit: number
  offset: number
}

/** A waiting job as the scheduler sees it. */
export interface WaitingJob {
  id: number
  clusterId: number
  tenantId: number | null
  gpuCount: number
  gpuType: string | null
  priority: number
  status: WaitingStatus
  pendingReason: PendingReason | null
  blockReason: string | null
  submittedAt: number
  /** Minutes it may run once started (null or absent: no limit): the scheduler times its check by it. */
  timeLimitMin?: number | null | undefined
}

/** Registered GPUs of one model on one node, in any state: what the cluster could ever offer. */
export interface InventoryRow {
  nodeId: number
  clusterId: number
  nodeOnline: boolean
  /** Drained (POST /api/nodes/:id/drain): nothing is placed there. Absent (the stores leave it out) means not drained. */
  nodeDrained?: boolean | undefined
  model: string | null
  count: number
}

/** A GPU that can be assigned now: node online and not drained, reading fresh, status idle, held by no running job. */
export interface FreeGpu {
  id: number
  nodeId: number
  clusterId: number
  gpuIndex: number
  model: string | null
}

/**
 * Everything one cycle decides on, read inside the cycle's transaction. Only GPUs that can
 * be assigned are listed one by one; the rest of the fleet comes as counts per node and model,
 * and GPUs held by running jobs as counts per tenant, so a cycle over 8,000 mostly busy GPUs
 * reads hundreds of rows, not tens of thousands.
 */
export interface SchedulerSnapshot {
  at: number
  /** Status queued or blocked, in scheduling order: priority (1 first), submitted_at, id. */
  jobs: WaitingJob[]
  /** With the GPUs each holds now (unreleased job_gpus rows of its running jobs). */
  tenants: Array<{ id: number, gpuQuota: number, status: TenantStatus, gpusHeld: number }>
  /** Ordered by node id. */
  inventory: InventoryRow[]
  /** In no particular order. */
  free: FreeGpu[]
  /**
   * GPUs on online nodes, held by no running job, with no reading newer than the staleness
   * limit (or none at all): what a job may wait for as NODE_NOT_REPORTING. Absent: none.
   */
  unreported?: FreeGpu[]
  /**
   * When running jobs are expected to free their GPUs, per job and node: read only when a
   * waiting job has a time limit (only such a job can backfill by time). Absent: unknown.
   */
  ends?: RunningEnd[]
}

/** GPUs of one model that a running job holds on one node, and when it is expected to end. */
export interface RunningEnd {
  nodeId: number
  model: string | null
  gpus: number
  /** started_at + time_limit_min, else + estimated_duration_min (epoch ms); null: unknown. */
  at: number | null
}

/** What decides which GPUs are free; the scheduler sets it (its staleness limit). */
export interface SnapshotOptions {
  /** A GPU whose newest reading is older than this (epoch ms) is not free: its state is unknown. */
  freshSince: number
}

export interface PlannedStart {
  jobId: number
  expect: JobExpectation
  /** Recorded as jobs.node_id. */
  nodeId: number
  gpus: Array<{ gpuId: number, nodeId: number, model: string | null }>
  /** Stored with the 'started' event. */
  detail: Record<string, unknown>
}

export interface PlannedWait extends WaitVerdict {
  jobId: number
  expect: JobExpectation
}

export interface CyclePlan {
  starts: PlannedStart[]
  /** Waiting jobs whose status or reasons change (unchanged ones are not rewritten). */
  changes: PlannedWait[]
  processed: number
  /** Jobs left in status blocked after the cycle. */
  blocked: number
  /** JSON for scheduler_cycles.detail. */
  detail: Record<string, unknown>
}

/** Cycles kept in scheduler_cycles (≈ 3.5 days at one per 30 s; fewer under a busy queue). */
export const KEEP_SCHEDULER_CYCLES = 10_000

export interface SchedulerCycle {
  id: number
  startedAt: number
  durationMs: number
  trigger: string
  processed: number
  started: number
  blocked: number
  detail: Record<string, unknown>
}

export interface JobCountsRow { running: number, waiting: number }

export interface QueueStats {
  running: number
  queued: number
  blocked: number
  byReason: Partial<Record<PendingReason, number>>
  byCluster: Array<{ clusterId: number, clusterName: string, running: number, queued: number, blocked: number, waitingGpus: number, runningGpus: number }>
  oldestWaiting: { jobId: number, submittedAt: number } | null
  /** started_at - submitted_at of jobs started in the window, ascending. */
  waitsMs: number[]
  submitted: number
  started: number
  ended: Record<EndedStatus, number>
}

export interface AllocationRow {
  gpuId: number
  nodeId: number
  hostname: string
  nodeStatus: 'online' | 'offline'
  clusterId: number
  clusterName: string
  gpuIndex: number
  model: string | null
  status: GpuStatus
  utilizationPct: number | null
  memoryUsedMb: number | null
  memoryTotalMb: number | null
  updatedAt: number | null
  job: { id: number, name: string, tenantId: number | null, tenantName: string | null, kind: JobKind, assignedAt: number } | null
}

/** A job its node's failure ended or requeued. */
export interface LostJob { job: Job, nodeIds: number[], requeued: boolean }

export interface JobRepository {
  /** One transaction: reads the context, lets `judge` pick the starting state, inserts with a 'submitted' event. */
  submit: (input: JobInput, at: number, judge: (ctx: SubmitContext) => WaitVerdict) => Promise<SubmitResult>
  get: (id: number) => Promise<Job | null>
  /** Newest first (id descending). */
  list: (filter: JobFilter) => Promise<{ jobs: Job[], total: number }>
  /** The GPUs a job holds or held, in assignment order. */
  gpusOf: (jobId: number) => Promise<JobGpu[]>
  /** The job's newest `limit` events, oldest first. */
  eventsOf: (jobId: number, limit: number) => Promise<JobEvent[]>
  /** Applies `change` only if the job is still as `expect`ed; null when it is not (or is gone). */
  applyChange: (id: number, expect: JobExpectation, change: JobChange, at: number) => Promise<Job | null>

  /**
   * One scheduling cycle as one transaction: snapshot → `plan` → apply (starts with GPU
   * assignments and events, reason changes with events) → a scheduler_cycles row. A crash or
   * a throw anywhere rolls all of it back. Each write is compare-and-set against the snapshot
   * (a job changed meanwhile is skipped), and job_gpus_one_holder refuses a double assignment.
   */
  /**
   * `at` may be a clock, read once the cycle holds the scheduling lock: a job ended while the
   * cycle waited for it then never releases its GPUs after the next job was assigned them.
   */
  runCycle: (at: number | (() => number), trigger: string, options: SnapshotOptions, plan: (snapshot: SchedulerSnapshot) => CyclePlan) => Promise<SchedulerCycle>
  /** Newest first. */
  listCycles: (limit: number) => Promise<SchedulerCycle[]>
  /**
   * One transaction: every running job whose time limit has passed by `at` ends as `failed`
   * with end_reason TIMEOUT (GPUs released, events written, as an end by PATCH does). Returns
   * those jobs, and when the next running job's limit falls (null: none has one).
   */
  endTimedOut: (at: number) => Promise<{ ended: Job[], nextAt: number | null }>
  /** Of `gpuIds`, those a running job holds now. */
  heldGpuIds: (gpuIds: readonly number[]) => Promise<number[]>

  /** Per cluster: running jobs and waiting (queued + blocked) jobs; clusters without jobs are absent. */
  countsByCluster: (clusterIds: readonly number[]) => Promise<Map<number, JobCountsRow>>
  /** The cluster's newest jobs (optionally one tenant's). */
  recent: (clusterId: number, limit: number, tenantId?: number | null) => Promise<Job[]>
  /** Queue and throughput figures; `since` bounds the window of waits and counts. */
  queueStats: (since: number, tenantId?: number | null) => Promise<QueueStats>
  /** Every GPU with the running job holding it (tenantId: only GPUs held by that tenant's jobs). */
  /**
   * Node failure: running jobs holding a GPU on a node that is offline and silent since before
   * `silentSince` release their GPUs at `at` (metering stops there) and either go back to the
   * queue (requeue) or end failed with end_reason NODE_FAIL. One transaction.
   */
  failLostNodeJobs: (silentSince: number, at: number) => Promise<LostJob[]>
  allocation: (filter: { clusterId?: number | undefined, tenantId?: number | null | undefined }) => Promise<AllocationRow[]>

  /** Running executed jobs whose node is `nodeId`, by job id. */
  assignmentsOn: (nodeId: number) => Promise<NodeAssignment[]>
  /** Whether job `jobId` holds or held a GPU of node `nodeId` (any run), or has it as its node. */
  ranOnNode: (jobId: number, nodeId: number) => Promise<boolean>
  /** The agent started run `run` as `pid`: kept only while that run is the job's current one (idempotent). */
  recordRunStart: (jobId: number, run: number, pid: number, at: number) => Promise<RunOutcome | null>
  /**
   * The agent saw run `run` end at `at` (already within [run, now]). One transaction: the current
   * run of a running job ends completed or failed (end_reason = failure) with its GPUs released
   * at `at`; an ended job whose last run it is only keeps the exit; anything else is untouched.
   * Null: no such job.
   */
  recordRunExit: (jobId: number, run: number, exit: RunExit, at: number) => Promise<RunOutcome | null>
}
