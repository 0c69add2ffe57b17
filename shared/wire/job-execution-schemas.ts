import { z } from '@hono/zod-openapi'
import { JOB_STATUSES } from './enums.ts'
import { MAX_ASSIGNMENT_WAIT_S, RUN_FAILURES, type Assignment, type AssignmentSet, type JobRunEvent } from './job-execution.ts'

/**
 * The zod mirrors of job-execution.ts (the agent imports that file, never this one): they
 * validate and document the control plane's agent routes. The type checks at the end keep the two in step.
 */

const Hostname = z.string().min(1).max(253).openapi({ description: 'The node\'s hostname, as its agent registers it', example: 'gpu-node-01' })
// A run is the job's started_at in epoch ms: a positive safe integer.
const Run = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).openapi({ description: 'The run (the job\'s started_at, epoch ms) from the assignment', example: 1778286600000 })
const At = z.iso.datetime({ offset: true }).openapi({ description: 'When it happened on the node (ISO 8601)', example: '2026-05-09T00:30:05.000Z' })

export const assignmentsQuerySchema = z.object({
  hostname: Hostname.openapi({ param: { name: 'hostname', in: 'query' } }),
  known: z.string().min(1).max(128).optional()
    .openapi({ param: { name: 'known', in: 'query' }, description: 'The etag of the set the agent holds: while it is still current, the answer waits (wait_s)' }),
  wait_s: z.string().regex(/^[0-9]{1,3}$/, 'must be an integer number of seconds')
    .refine(s => Number(s) <= MAX_ASSIGNMENT_WAIT_S, `must be at most ${MAX_ASSIGNMENT_WAIT_S}`).optional()
    .openapi({ param: { name: 'wait_s', in: 'query' }, description: `Seconds to wait for a change while known is current, 0–${MAX_ASSIGNMENT_WAIT_S} (default 0: answer at once)`, example: '30' }),
})

export const assignmentSchema = z.object({
  job_id: z.number().int(),
  run: z.number().int().openapi({ description: 'The job\'s started_at in epoch ms: new on every start' }),
  command: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  workdir: z.string().nullable(),
  gpu_uuids: z.array(z.string()).openapi({ description: 'For CUDA_VISIBLE_DEVICES, in gpu_indices\' order (the indices as strings where a GPU of the job reported no UUID)' }),
  gpu_indices: z.array(z.number().int()),
  time_limit_min: z.number().int().nullable(),
  started_at: z.string(),
}).openapi('Assignment')

export const assignmentSetSchema = z.object({
  node_id: z.number().int(),
  etag: z.string().openapi({ description: 'Changes whenever the set changes; send it back as known' }),
  jobs: z.array(assignmentSchema),
}).openapi('AssignmentSet')

export const jobRunEventSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('started'),
    hostname: Hostname,
    run: Run,
    pid: z.number().int().min(1).max(2_147_483_647),
    at: At,
  }).strict(),
  z.object({
    event: z.literal('exited'),
    hostname: Hostname,
    run: Run,
    at: At,
    exit_code: z.number().int().min(-2_147_483_648).max(2_147_483_647).nullable()
      .openapi({ description: 'Exit status when it exited; null when a signal ended it or it never started' }),
    signal: z.string().regex(/^SIG[A-Z0-9+-]{1,16}$/, 'a signal name such as "SIGKILL"').nullable(),
    failure: z.enum(RUN_FAILURES).nullable().openapi({ description: 'null: it exited 0, or it was stopped because it was no longer assigned' }),
    message: z.string().max(4096).refine(s => !s.includes('\0'), 'must not contain NUL bytes').nullable(),
  }).strict(),
]).openapi('JobRunEvent')

export const jobRunEventResultSchema = z.object({
  ok: z.literal(true),
  job_status: z.enum(JOB_STATUSES).openapi({ description: 'The job\'s status after the event' }),
}).openapi('JobRunEventResult')

// The mirrors stay assignable to the contract's types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const _assignment: Same<z.output<typeof assignmentSchema>, Assignment> = true
const _set: Same<z.output<typeof assignmentSetSchema>, AssignmentSet> = true
const _event: Same<z.output<typeof jobRunEventSchema>, JobRunEvent> = true
void _assignment; void _set; void _event
