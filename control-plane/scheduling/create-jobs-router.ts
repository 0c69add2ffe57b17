import { createRoute, z } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponse, idParamSchema } from '../../shared/wire/fleet-schemas.ts'
import type { Principal } from '../auth/principal.ts'
import type { Job } from '../store/job-repository.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { SchedulingRouterDeps } from './scheduling-deps.ts'
import { decideTransition } from './decide-transition.ts'
import { judgeSubmission } from './judge-submission.ts'
import { createJobBodySchema, hasProtoKey, jobDetailSchema, jobPageSchema, jobSchema, listJobsQuerySchema, patchJobBodySchema } from '../../shared/wire/job-schemas.ts'
import { jobDetailJson, jobJson } from './render-job.ts'
import { registerJobLogRoutes } from './register-job-log-routes.ts'
import { PROCESS_REPORT_STALE_MS } from '../fleet/process-report-stale.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } })
const denied = { 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope (FORBIDDEN)') }
const notFound = (id: number) => httpError('JOB_NOT_FOUND', `no job with id ${id}`)
// A tenant-bound key sees its own tenant's jobs only; anything else answers as unknown.
const visible = (job: Job | null, p: Principal): job is Job => job !== null && (p.tenantId === null || job.tenantId === p.tenantId)
const callerName = (p: Principal): string | null => (p.keyId === null ? null : `key:${p.keyId}`)

export const DEFAULT_PAGE = 50
const EVENTS_SHOWN = 50
// A PATCH re-reads and retries when the scheduler changed the job between its read and write.
const PATCH_ATTEMPTS = 3

/**
 * Seed 003 "Job Management": submit (write), list and read (read), status changes (write).
 * A submission over its limits is stored as blocked with its typed reason, not rejected; an
 * unknown cluster_id or tenant_id is 404 (a reference to nothing, like the fleet's node
 * registration). Every submit of a runnable job, and every job ending, pokes the scheduler.
 */
export function createJobsRouter (deps: SchedulingRouterDeps) {
  const { store, requireScope, now, log, scheduler, watch } = deps
  const app = createRouter()

  app.openapi(createRoute({
    method: 'post', path: '/api/jobs', tags: ['jobs'], security: API_KEY_SECURITY, middleware: [requireScope('write')] as const,
    description: 'Submit a job (seed 003). Checks the tenant\'s quota and the cluster\'s capacity: a job over them is stored as ' +
      '"blocked" with block_reason and pending_reason (NEVER_FITS_QUOTA, NEVER_FITS_CLUSTER, QUOTA, TENANT_INACTIVE), not rejected; ' +
      'otherwise "queued" and the scheduler looks at it within its debounce. A tenant-bound key submits for its own tenant only.',
    request: body(createJobBodySchema),
    responses: {
      201: json(jobSchema, 'Stored (queued or blocked)'), 400: errorResponse('Invalid body'),
      404: errorResponse('Unknown cluster_id (CLUSTER_NOT_FOUND) or tenant_id (TENANT_NOT_FOUND)'), ...denied,
    },
  }), async (c) => {
    const b = c.req.valid('json')
    if (hasProtoKey((await c.req.json() as { env?: unknown }).env)) {
      throw httpError('VALIDATION_FAILED', 'env.__proto__: not a usable variable name', { issues: [{ path: 'env.__proto__', message: 'not a usable variable name' }] })
    }
    const p = c.var.principal
    let tenantId = b.tenant_id ?? null
    if (p.tenantId !== null) {
      if (tenantId !== null && tenantId !== p.tenantId) throw httpError('FORBIDDEN', 'a tenant-bound key submits jobs for its own tenant only')
      tenantId = p.tenantId
    }
    const input = {
      clusterId: b.cluster_id,
      tenantId,
      name: b.name,
      kind: b.kind,
      gpuCount: b.gpu_count,
      gpuType: b.gpu_type ?? null,
      priority: b.priority,
      submittedBy: b.submitted_by ?? callerName(p),
      estimatedDurationMin: b.estimated_duration_min ?? null,
      // Absent: the cluster's default; null: no limit.
      timeLimitMin: b.time_limit_min,
      requeue: b.requeue,
      command: b.command ?? null,
      env: b.command == null ? null : b.env ?? null,
      workdir: b.command == null ? null : b.workdir ?? null,
    }
    const result = await store.jobs.submit(input, now(), judgeSubmission(input))
    if (!result.ok) {
      if (result.reason === 'cluster_not_found') throw httpError('CLUSTER_NOT_FOUND', `no cluster with id ${input.clusterId}`)
      throw httpError('TENANT_NOT_FOUND', `no tenant with id ${String(tenantId)}`)
    }
    if (result.job.status === 'queued') scheduler.poke('submit')
    return c.json(jobJson(result.job), 201)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/jobs', tags: ['jobs'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Jobs, newest first, filtered by status, tenant_id, cluster_id, kind; paged by limit/offset. A tenant-bound key sees its own tenant\'s only.',
    request: { query: listJobsQuerySchema },
    responses: { 200: json(jobPageSchema, 'One page'), 400: errorResponse('Invalid filter'), ...denied },
  }), async (c) => {
    const q = c.req.valid('query')
    const own = c.var.principal.tenantId
    const limit = q.limit === undefined ? DEFAULT_PAGE : Number(q.limit)
    const offset = q.offset === undefined ? 0 : Number(q.offset)
    const askedTenant = q.tenant_id === undefined ? undefined : Number(q.tenant_id)
    if (own !== null && askedTenant !== undefined && askedTenant !== own) {
      return c.json({ jobs: [], total: 0, limit, offset, next_offset: null }, 200)
    }
    const { jobs, total } = await store.jobs.list({
      status: q.status,
      tenantId: own ?? askedTenant,
      clusterId: q.cluster_id === undefined ? undefined : Number(q.cluster_id),
      kind: q.kind,
      limit,
      offset,
    })
    return c.json({ jobs: jobs.map(jobJson), total, limit, offset, next_offset: offset + jobs.length < total ? offset + jobs.length : null }, 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/jobs/{id}', tags: ['jobs'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'One job with the GPUs it holds or held, its pending reason, its newest lifecycle events, and its GPU processes as its node\'s agent last reported them.',
    request: { params: idParamSchema },
    responses: { 200: json(jobDetailSchema, 'The job'), 400: errorResponse('Bad id'), 404: errorResponse('No such job (JOB_NOT_FOUND)'), ...denied },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const job = await store.jobs.get(id)
    if (!visible(job, c.var.principal)) throw notFound(id)
    const [gpus, events, processes] = await Promise.all([
      store.jobs.gpusOf(id), store.jobs.eventsOf(id, EVENTS_SHOWN), store.processes.list({ jobId: id, freshSince: now() - PROCESS_REPORT_STALE_MS }),
    ])
    return c.json(jobDetailJson(job, gpus, events, processes), 200)
  })

  app.openapi(createRoute({
    method: 'patch', path: '/api/jobs/{id}', tags: ['jobs'], security: API_KEY_SECURITY, middleware: [requireScope('write')] as const,
    description: 'Change a job\'s status (seed 003: queued, running, completed, failed, cancelled, blocked + block_reason). ' +
      'Impossible transitions are 409 INVALID_TRANSITION: "running" (only the scheduler starts jobs), anything out of an ended ' +
      'state, completed/failed for a job that never ran, holding a running job, forcing "queued" on a job the scheduler blocked. ' +
      '"blocked" is an operator hold (OPERATOR_HOLD) kept until an operator sets "queued"; holding and lifting need a key not ' +
      'bound to a tenant. Ending a running job releases its GPUs and runs the scheduler. Asking for the current state is a no-op.',
    request: { params: idParamSchema, ...body(patchJobBodySchema) },
    responses: {
      200: json(jobSchema, 'The job after the change'), 400: errorResponse('Invalid id or body'), 404: errorResponse('No such job (JOB_NOT_FOUND)'),
      409: errorResponse('Impossible transition (INVALID_TRANSITION) or the job kept changing (JOB_CHANGED)'), ...denied,
    },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const b = c.req.valid('json')
    const p = c.var.principal
    for (let attempt = 0; attempt < PATCH_ATTEMPTS; attempt++) {
      const job = await store.jobs.get(id)
      if (!visible(job, p)) throw notFound(id)
      const d = decideTransition(job, { status: b.status, blockReason: b.block_reason }, { operator: p.tenantId === null, by: callerName(p) })
      if (d.kind === 'refuse') throw new HttpError(d.status, d.code, d.message, { from: job.status, to: b.status })
      if (d.kind === 'noop') return c.json(jobJson(job), 200)
      const updated = await store.jobs.applyChange(id, { status: job.status, pendingReason: job.pendingReason }, d.change, now())
      if (updated === null) continue
      // Its agent stops a running job that ended here (cancel) on its next look at the assignments.
      if (job.status === 'running' && updated.status !== 'running') watch?.notify([job.nodeId])
      // Every change can let another job start: freed GPUs, or a reservation a waiting job no longer needs.
      scheduler.poke(d.change.kind === 'end' ? (job.status === 'running' ? 'job_ended' : 'job_cancelled') : d.change.kind === 'hold' ? 'held' : 'released')
      log.info({ jobId: id, from: job.status, to: updated.status, by: callerName(p) }, 'job status changed')
      return c.json(jobJson(updated), 200)
    }
    throw httpError('JOB_CHANGED', `job ${id} kept changing while being updated; retry`)
  })

  registerJobLogRoutes(app, deps)
  return app
}
