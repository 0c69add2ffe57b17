import { createRoute, z } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import type { RequireScope } from '../http/cp-env.ts'
import type { Principal } from '../auth/principal.ts'
import type { Store } from '../store/store.ts'
import type { FleetNode } from '../store/fleet-repository.ts'
import { errorResponse, idParamSchema } from '../../shared/wire/fleet-schemas.ts'
import { httpError } from '../../shared/error-codes.ts'
import { clusterMismatch, nodeOwnedByOtherCluster } from '../fleet/cluster-binding-errors.ts'
import { AGENT_ASSIGNMENTS_PATH, MAX_ASSIGNMENT_WAIT_S } from '../../shared/wire/job-execution.ts'
import { assignmentSetSchema, assignmentsQuerySchema, jobRunEventResultSchema, jobRunEventSchema } from '../../shared/wire/job-execution-schemas.ts'
import type { SchedulerLogger, SchedulerPoke } from './create-scheduler.ts'
import type { AssignmentWatch } from './create-assignment-watch.ts'
import { assignmentSet } from './assignment-set.ts'

export interface AgentJobsRouterDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
  log: SchedulerLogger
  /** Poked when a run's end frees its GPUs. */
  scheduler: SchedulerPoke
  /** Wakes waiting polls on a start or end in this process; also told of the ends these routes make. */
  watch: AssignmentWatch
  /** Aborted when the server stops: waiting polls answer at once. */
  closing?: AbortSignal | undefined
  /** How often a waiting poll looks again by itself (another replica's changes); default 1000 ms. */
  recheckMs?: number | undefined
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const denied = {
  401: errorResponse('Missing or invalid API key'),
  403: errorResponse('Key lacks the ingest scope (FORBIDDEN), or is bound to another cluster than the node\'s (NODE_OWNED_BY_OTHER_CLUSTER)'),
}

/**
 * The agents' side of executed jobs (issue 15, shared/wire/job-execution.ts), in the `ingest`
 * lane: an agent long-polls its node's assignment set, and reports each run's start and exit.
 * A cluster-bound key acts for its cluster's nodes only. The log upload and process report
 * routes under /api/agent are their own routers.
 */
export function createAgentJobsRouter (deps: AgentJobsRouterDeps) {
  const { store, requireScope, now, log, scheduler, watch, closing, recheckMs = 1000 } = deps
  if (!Number.isFinite(recheckMs) || recheckMs <= 0) throw new TypeError(`createAgentJobsRouter: recheckMs must be a positive number of ms, got ${recheckMs}`)
  const app = createRouter()

  // Never registers a node (telemetry does): an agent polling before its first push waits for it.
  const nodeFor = async (hostname: string, p: Principal): Promise<FleetNode> => {
    const node = await store.fleet.getNodeByHostname(hostname)
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with hostname "${hostname.slice(0, 253)}"`)
    const bound = p.clusterId ?? null
    if (bound !== null && node.clusterId !== bound) {
      const cluster = await store.fleet.getCluster(bound)
      throw cluster === null ? clusterMismatch(null, 'its cluster no longer exists') : nodeOwnedByOtherCluster(cluster, node.hostname)
    }
    return node
  }
  const readSet = async (nodeId: number) => assignmentSet(nodeId, await store.jobs.assignmentsOn(nodeId))

  app.openapi(createRoute({
    method: 'get', path: AGENT_ASSIGNMENTS_PATH, tags: ['agent'], security: API_KEY_SECURITY, middleware: [requireScope('ingest')] as const,
    description: 'The running executed jobs of the node named by hostname, for its agent to converge on (start what is new, stop ' +
      `what is gone). With known = the current etag the answer waits up to wait_s (≤ ${MAX_ASSIGNMENT_WAIT_S}) for a change and ` +
      'answers at once when one comes; otherwise, or at the end of the wait, the current set. A cluster-bound key polls its ' +
      'cluster\'s nodes only.',
    request: { query: assignmentsQuerySchema },
    responses: {
      200: json(assignmentSetSchema, 'The node\'s assignment set'), 400: errorResponse('Bad hostname, known or wait_s (VALIDATION_FAILED)'),
      404: errorResponse('No node has that hostname (NODE_NOT_FOUND)'), ...denied,
    },
  }), async (c) => {
    const q = c.req.valid('query')
    const node = await nodeFor(q.hostname, c.var.principal)
    const gone = c.req.raw.signal
    const deadline = now() + Number(q.wait_s ?? 0) * 1000
    let set = await readSet(node.id)
    while (q.known === set.etag && !gone.aborted && closing?.aborted !== true) {
      const left = deadline - now()
      if (left <= 0) break
      await watch.next(node.id, Math.min(recheckMs, left), gone, closing)
      set = await readSet(node.id)
    }
    return c.json(set, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/agent/jobs/{id}/events', tags: ['agent'], security: API_KEY_SECURITY, middleware: [requireScope('ingest')] as const,
    description: 'A run of job :id on the node named by hostname started (its pid is kept) or exited. The current run\'s exit ends ' +
      'the job: exit 0 with no failure → completed; a failure → failed with end_reason = the failure (EXIT_CODE, SIGNAL, ' +
      'LAUNCH_FAILED, TIMEOUT); its GPUs are released at `at` (clamped to the run\'s start and now), where metering stops. ' +
      'An exit for a job that already ended (cancelled, TIMEOUT, NODE_FAIL) only records exit_code and exit_signal when it is the ' +
      'job\'s last run; an old run\'s events and repeats change nothing (200, idempotent).',
    request: { params: idParamSchema, body: { required: true, content: { 'application/json': { schema: jobRunEventSchema } } } },
    responses: {
      200: json(jobRunEventResultSchema, 'Taken (or nothing to change)'), 400: errorResponse('Invalid id or body (VALIDATION_FAILED)'),
      404: errorResponse('No such job (JOB_NOT_FOUND) or no node has that hostname (NODE_NOT_FOUND)'),
      409: errorResponse('The job never ran on that node (JOB_ON_OTHER_NODE)'), ...denied,
    },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const e = c.req.valid('json')
    const node = await nodeFor(e.hostname, c.var.principal)
    if (await store.jobs.get(id) === null) throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)
    if (!await store.jobs.ranOnNode(id, node.id)) {
      throw httpError('JOB_ON_OTHER_NODE', `job ${id} never ran on node "${node.hostname}"`, { job_id: id, hostname: node.hostname })
    }
    const t = now()
    if (e.event === 'started') {
      const r = await store.jobs.recordRunStart(id, e.run, e.pid, Math.min(Date.parse(e.at), t))
      if (r === null) throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)
      return c.json({ ok: true as const, job_status: r.job.status }, 200)
    }
    // Metering ends where the process did, never before the run began nor after now.
    const at = Math.max(e.run, Math.min(Date.parse(e.at), t))
    const r = await store.jobs.recordRunExit(id, e.run, { exitCode: e.exit_code, signal: e.signal, failure: e.failure, message: e.message }, at)
    if (r === null) throw httpError('JOB_NOT_FOUND', `no job with id ${id}`)
    if (r.kind === 'ended') {
      watch.notify([r.job.nodeId])
      scheduler.poke('job_ended')
      log.info({ jobId: id, run: e.run, status: r.job.status, endReason: r.job.endReason, exitCode: e.exit_code, signal: e.signal }, 'job ended: its run exited')
    }
    return c.json({ ok: true as const, job_status: r.job.status }, 200)
  })

  return app
}
