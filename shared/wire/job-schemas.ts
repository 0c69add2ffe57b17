import { z } from '@hono/zod-openapi'
import { END_REASONS, JOB_KINDS, JOB_STATUSES, PENDING_REASONS } from './enums.ts'
import { queryId, queryInt } from './query-params.ts'
import { jobProcessSchema } from './process-report-schemas.ts'

/** Seed 003 "Job Management" on the wire (snake_case; times ISO 8601). */

// Ids are positive 32-bit integers (PostgreSQL `integer`), as for api keys' tenant_id.
const Id = z.number().int().min(1).max(2_147_483_647)
const Text = (max: number) => z.string().min(1).max(max).refine(s => s.trim() !== '', 'must not be blank')

export const MIN_PRIORITY = 1
export const MAX_PRIORITY = 10
/** A time limit is at most a year, in minutes. */
export const MAX_TIME_LIMIT_MIN = 525_600

export const createJobBodySchema = z.object({
  cluster_id: Id.openapi({ description: 'Target cluster ID', example: 1 }),
  name: Text(256).openapi({ description: 'Job display name', example: 'llama-3-70b-finetune' }),
  gpu_count: z.number().int().min(1).max(4096).default(1)
    .openapi({ description: 'Number of GPUs to request (default 1). More than the tenant\'s quota or the cluster\'s matching GPUs is accepted as blocked (NEVER_FITS_*).', example: 8 }),
  gpu_type: Text(128).nullable().optional()
    .openapi({ description: 'GPU model preference: matched case-insensitively as a whole token of the model name ("H100" matches "NVIDIA H100 80GB HBM3"); a job\'s GPUs are all of one model; absent = any one model; "any" = any GPUs, models may mix', example: 'NVIDIA H100 80GB' }),
  priority: z.number().int().min(MIN_PRIORITY).max(MAX_PRIORITY).default(5)
    .openapi({ description: `${MIN_PRIORITY} = highest, ${MAX_PRIORITY} = lowest (default 5)`, example: 1 }),
  tenant_id: Id.nullable().optional().openapi({ description: 'Tenant to bill and quota-check against (a tenant-bound key: its own, the default)', example: 1 }),
  submitted_by: Text(128).nullable().optional().openapi({ description: 'Submitter identifier for audit trail (default: the calling key)' }),
  estimated_duration_min: z.number().int().min(1).max(525_600).nullable().optional().openapi({ description: 'Estimated runtime in minutes' }),
  kind: z.enum(JOB_KINDS).default('compute').openapi({ description: 'Workload kind (default compute)' }),
  time_limit_min: z.number().int().min(1).max(MAX_TIME_LIMIT_MIN).nullable().optional()
    .openapi({ description: `Minutes the job may run, 1–${MAX_TIME_LIMIT_MIN}; past it the scheduler ends it as "failed" with end_reason TIMEOUT. Absent or null: no limit.`, example: 120 }),
  requeue: z.boolean().default(false)
    .openapi({ description: 'When its node stays offline past the grace period: back to the queue (true) instead of ending failed with end_reason NODE_FAIL (default false)' }),
}).strict().openapi('CreateJobRequest')

export const patchJobBodySchema = z.object({
  status: z.enum(JOB_STATUSES).openapi({ description: 'New status value', example: 'completed' }),
  block_reason: Text(500).nullable().optional().openapi({ description: 'Reason string when status = "blocked"' }),
}).strict()
  .refine(b => b.block_reason == null || b.status === 'blocked', { message: 'block_reason is only for status "blocked"', path: ['block_reason'] })
  .openapi('UpdateJobRequest')

export const MAX_PAGE = 500

export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES).optional().openapi({ param: { name: 'status', in: 'query' } }),
  tenant_id: queryId('tenant_id', 'Only this tenant\'s jobs'),
  cluster_id: queryId('cluster_id', 'Only this cluster\'s jobs'),
  kind: z.enum(JOB_KINDS).optional().openapi({ param: { name: 'kind', in: 'query' } }),
  limit: queryInt('limit', 1, MAX_PAGE, `Page size, 1–${MAX_PAGE} (default 50)`),
  offset: queryInt('offset', 0, 10_000_000, 'Jobs to skip (default 0)'),
})

export const jobSchema = z.object({
  id: z.number().int().openapi({ example: 42 }),
  name: z.string().openapi({ example: 'llama-3-70b-finetune' }),
  status: z.enum(JOB_STATUSES).openapi({ example: 'queued' }),
  gpu_count: z.number().int().openapi({ example: 8 }),
  priority: z.number().int().openapi({ example: 1 }),
  block_reason: z.string().nullable().openapi({ example: null }),
  submitted_at: z.string().openapi({ example: '2026-05-09T00:30:00.000Z' }),
  pending_reason: z.enum(PENDING_REASONS).nullable().openapi({ description: 'Why it is not running (null while running or ended)', example: 'CAPACITY' }),
  cluster_id: z.number().int(),
  tenant_id: z.number().int().nullable(),
  kind: z.enum(JOB_KINDS),
  gpu_type: z.string().nullable(),
  submitted_by: z.string().nullable(),
  estimated_duration_min: z.number().int().nullable(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  node_id: z.number().int().nullable(),
  time_limit_min: z.number().int().nullable().openapi({ description: 'Minutes it may run (null: no limit)' }),
  requeue: z.boolean(),
  end_reason: z.enum(END_REASONS).nullable().openapi({ description: 'Why it ended when not by a caller: NODE_FAIL (its node stayed offline past the grace period) or TIMEOUT (it ran past time_limit_min); null otherwise' }),
}).openapi('Job')

export const jobDetailSchema = jobSchema.extend({
  gpus: z.array(z.object({
    gpu_id: z.number().int(),
    node_id: z.number().int(),
    hostname: z.string(),
    gpu_index: z.number().int(),
    model: z.string().nullable(),
    assigned_at: z.string(),
    released_at: z.string().nullable(),
  })),
  events: z.array(z.object({
    kind: z.string(),
    at: z.string(),
    gpu_id: z.number().int().nullable(),
    node_id: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })).openapi({ description: 'The newest 50 lifecycle events, oldest first' }),
  processes: z.array(jobProcessSchema)
    .openapi({ description: 'GPU processes attributed to the job, or flagged against it, as its node\'s agent last reported them (nodes silent for over 2 min left out)' }),
}).openapi('JobDetail')

export const jobPageSchema = z.object({
  jobs: z.array(jobSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  next_offset: z.number().int().nullable(),
}).openapi('JobPage')
