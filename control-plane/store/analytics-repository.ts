import type { Rate } from '../match-rate.ts'

/**
 * Analytics storage (seed 001): inference request records with their 15-minute rollups,
 * serving endpoints with their lifecycle, the global env, and read-only views of the shared
 * jobs/fleet/rates tables. Async so SQLite and PostgreSQL serve the same interface. Times are
 * UTC epoch milliseconds; pricing, day bucketing and rendering live in control-plane/analytics.
 */

export type InferenceStatus = 'ok' | 'error'

export interface InferenceRecordInput {
  /** The serving layer's own id: a re-sent id is ignored (first write wins). */
  id: string
  at: number
  endpoint: string
  model: string
  tenantId: number | null
  /** Where it ran (conventionally the serving node's hostname); the alias map keys on it. */
  source: string | null
  tokensIn: number
  tokensOut: number
  latencyMs: number
  status: InferenceStatus
}

export interface InferenceRecord extends InferenceRecordInput {
  tenantName: string | null
}

export interface PageQuery {
  /** Inclusive; null = unbounded. */
  since: number | null
  /** Exclusive; null = unbounded. */
  until: number | null
  order: 'asc' | 'desc'
  limit: number
  offset: number
}

export interface Page<T> {
  items: T[]
  hasMore: boolean
}

export interface InferenceTotals {
  requests: number
  errors: number
  tokensIn: number
  tokensOut: number
  latencyMsSum: number
}

export interface SourceTotals extends InferenceTotals {
  source: string | null
}

export type JobKind = 'training' | 'benchmark' | 'compute' | 'inference' | 'endpoint'

export interface JobGpuUse {
  gpuId: number
  /** job_gpus.gpu_model, else the job's gpu_type. */
  gpuModel: string | null
  hostname: string | null
  assignedAt: number
  releasedAt: number | null
}

export interface JobRecord {
  id: number
  name: string
  kind: JobKind
  tenantId: number | null
  tenantName: string | null
  status: string
  gpuType: string | null
  gpuCount: number
  clusterId: number
  nodeId: number | null
  /** The job's node, else the node of its first GPU. */
  hostname: string | null
  submittedAt: number
  startedAt: number | null
  endedAt: number | null
  gpus: JobGpuUse[]
}

/** GPUs held by one job, for metering: [from, to ?? now). */
export interface GpuInterval {
  jobId: number
  /** null for a started job without job_gpus rows: its gpu_count GPUs of gpu_type over its run. */
  gpuId: number | null
  /** How many GPUs this interval stands for (1 for a job_gpus row). */
  gpus: number
  gpuModel: string | null
  hostname: string | null
  from: number
  /** released_at capped at the job's ended_at (either when only one is set); null while still held. */
  to: number | null
}

export interface JobStart {
  jobId: number
  at: number
  hostname: string | null
}

export type EndpointStatus = 'pending' | 'active' | 'degraded' | 'stopped'

export interface EndpointUpsert {
  name: string
  model: string
  replicas: number
  status: EndpointStatus
  tenantId: number | null
  source: string | null
}

export interface EndpointEvent {
  kind: 'created' | 'updated' | 'deleted'
  at: number
  /** created: the fields; updated: {field: {from, to}}; deleted: null. */
  detail: Record<string, unknown> | null
}

export interface EndpointRecord {
  id: number
  name: string
  model: string
  replicas: number
  /** 'deleted' once deleted. */
  status: EndpointStatus | 'deleted'
  tenantId: number | null
  tenantName: string | null
  source: string | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
  events: EndpointEvent[]
}

export interface WorkerEventRow {
  origin: 'node' | 'job'
  /** The row id in node_events or job_events. */
  rowId: number
  at: number
  /** As stored: registered|online|offline (node), started|ended|gpu_assigned|gpu_released (job). */
  kind: string
  nodeId: number | null
  hostname: string | null
  gpuId: number | null
  jobId: number | null
  /** Stored text (JSON for node events; whatever the scheduler wrote for job events). */
  detail: string | null
}

export interface WorkerEventQuery {
  since: number | null
  until: number | null
  limit: number
}

export interface GlobalEnvEntry {
  key: string
  value: string
  updatedAt: number
}

export interface AnalyticsRepository {
  /**
   * One transaction: stores the records whose id is new and adds them to the rollups; ids
   * already stored (or repeated within the call) are ignored. Also the bulk path (big batches).
   */
  insertInferenceRecords: (records: readonly InferenceRecordInput[]) => Promise<{ inserted: number, duplicates: number }>
  /** Ordered by (at, seq) in `order`, seq being the insertion order: a stable total order. */
  listInferenceRecords: (query: PageQuery) => Promise<Page<InferenceRecord>>
  /** Exact totals over [from, to) per source: rollups inside, raw records for partial buckets. */
  inferenceTotalsBySource: (from: number, to: number) => Promise<SourceTotals[]>
  /** Exact totals over [from, to) of the records naming `endpoint`. */
  inferenceTotalsForEndpoint: (endpoint: string, from: number, to: number) => Promise<InferenceTotals>

  /** Jobs of `kinds` by submitted_at in [since, until), ordered by (submitted_at, id). */
  listJobs: (kinds: readonly JobKind[], query: PageQuery) => Promise<Page<JobRecord>>
  /** GPU holds overlapping [from, to) (still-held ones included), plus started jobs without job_gpus rows. */
  listGpuIntervals: (from: number, to: number) => Promise<GpuInterval[]>
  /** Jobs that started in [from, to). */
  listJobStarts: (from: number, to: number) => Promise<JobStart[]>
  listRates: () => Promise<Rate[]>

  /**
   * Creates a deployment when no live one has this name ('created' event), else updates the
   * live one (an 'updated' event naming the changed fields, none when nothing changed).
   */
  upsertEndpoint: (input: EndpointUpsert, at: number) => Promise<{ endpoint: EndpointRecord, created: boolean, changed: boolean }>
  /** Soft delete of the live deployment ('deleted' event); null when there is none. */
  deleteEndpoint: (name: string, at: number) => Promise<EndpointRecord | null>
  /** Deployments by created_at in [since, until), ordered by (created_at, id), with their events. */
  listEndpoints: (query: PageQuery) => Promise<Page<EndpointRecord>>

  /** Fleet node events and worker job events merged oldest first by (at, node before job, row id). */
  listWorkerEvents: (query: WorkerEventQuery) => Promise<{ events: WorkerEventRow[], truncated: boolean }>

  listGlobalEnv: () => Promise<GlobalEnvEntry[]>
  setGlobalEnv: (key: string, value: string, at: number) => Promise<GlobalEnvEntry>
}
