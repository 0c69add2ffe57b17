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

/** Limits on what an executed job carries (issue 15): argv, environment, working directory. */
export const MAX_COMMAND_ARGS = 256
export const MAX_ARG_BYTES = 4 * 1024
export const MAX_ENV_ENTRIES = 128
export const MAX_ENV_VALUE_BYTES = 32 * 1024
export const MAX_WORKDIR_BYTES = 4096
/** The agent sets these itself (the assigned GPUs, the job user's PATH): a job may not override them. */
export const RESERVED_ENV_NAMES = ['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'PATH'] as const

const utf8 = new TextEncoder()
// Limits are in bytes (what execve and the environment block hold), not UTF-16 units.
const Bytes = (max: number, what: string) => z.string()
  .refine(s => utf8.encode(s).length <= max, `${what} must be at most ${max} bytes`)
  .refine(s => !s.includes('\0'), `${what} must not contain NUL bytes`)
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const commandSchema = z.array(Bytes(MAX_ARG_BYTES, 'an argument').refine(s => s !== '', 'an argument must not be empty'))
  .min(1, 'must hold at least argv[0]').max(MAX_COMMAND_ARGS, `at most ${MAX_COMMAND_ARGS} arguments`)
export const envSchema = z.record(
  z.string().regex(ENV_NAME, 'a variable name is [A-Za-z_][A-Za-z0-9_]*')
    .refine(k => !(RESERVED_ENV_NAMES as readonly string[]).includes(k), `${RESERVED_ENV_NAMES.join(', ')} are set by the agent`),
  Bytes(MAX_ENV_VALUE_BYTES, 'a value'),
).refine(e => Object.keys(e).length <= MAX_ENV_ENTRIES, `at most ${MAX_ENV_ENTRIES} variables`)
/**
 * zod leaves an own "__proto__" key out of a parsed record (setting it would set the prototype),
 * so a body's env would lose it silently; the route asks this of the raw body and refuses it.
 */
export const hasProtoKey = (env: unknown): boolean => env !== null && typeof env === 'object' && Object.hasOwn(env, '__proto__')
export const workdirSchema = Bytes(MAX_WORKDIR_BYTES, 'workdir').refine(s => s.startsWith('/'), 'must be an absolute path')

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
    .openapi({ description: `Minutes the job may run, 1–${MAX_TIME_LIMIT_MIN}; past it the scheduler ends it as "failed" with end_reason TIMEOUT. Absent: the cluster's default_time_limit_min (none unless set); null: no limit.`, example: 120 }),
  requeue: z.boolean().default(false)
    .openapi({ description: 'When its node stays offline past the grace period: back to the queue (true) instead of ending failed with end_reason NODE_FAIL (default false)' }),
  command: commandSchema.nullable().optional()
    .openapi({ description: `argv the node's agent runs as the job user once the job starts (argv[0] found on the user's default PATH); 1–${MAX_COMMAND_ARGS} non-empty strings of at most ${MAX_ARG_BYTES} bytes, no NUL. Absent or null: an allocation only (seed 003), nothing is run.`, example: ['python3', 'train.py', '--epochs', '3'] }),
  env: envSchema.nullable().optional()
    .openapi({ description: `Extra environment for the command (only with command): at most ${MAX_ENV_ENTRIES} names [A-Za-z_][A-Za-z0-9_]*, values at most ${MAX_ENV_VALUE_BYTES} bytes, no NUL; ${RESERVED_ENV_NAMES.join(', ')} are refused (the agent sets them).`, example: { HF_HOME: '/data/hf' } }),
  workdir: workdirSchema.nullable().optional()
    .openapi({ description: 'Absolute working directory for the command (only with command); absent: the job user\'s home directory.', example: '/data/runs' }),
}).strict()
  .refine(b => b.command != null || (b.env == null && b.workdir == null), { message: 'env and workdir are only for a job with a command', path: ['command'] })
  .openapi('CreateJobRequest')

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
  end_reason: z.enum(END_REASONS).nullable().openapi({ description: 'Why it ended when not by a caller: NODE_FAIL (its node stayed offline past the grace period) or TIMEOUT (it ran past time_limit_min); for an executed job as its agent reported: EXIT_CODE (non-zero exit), SIGNAL, LAUNCH_FAILED (it never started); null otherwise' }),
  executed: z.boolean().openapi({ description: 'The node\'s agent runs its command (false: an allocation only)' }),
  command: z.array(z.string()).nullable(),
  env: z.record(z.string(), z.string()).nullable(),
  workdir: z.string().nullable(),
  pid: z.number().int().nullable().openapi({ description: 'The current run\'s process id on its node, once its agent reported it started' }),
  exit_code: z.number().int().nullable().openapi({ description: 'How its last run exited, as its agent reported it (null: not yet, or a signal ended it)' }),
  exit_signal: z.string().nullable().openapi({ description: 'The signal that ended its last run, e.g. "SIGKILL"' }),
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
