import { createRoute, type z } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponses } from '../http/error-responses.ts'
import { httpError } from '../../shared/error-codes.ts'
import { deletedNodeSchema, idParamSchema, nodeDetailSchema } from '../../shared/wire/fleet-schemas.ts'
import type { FleetLogger } from './fleet-logger.ts'
import { nodeDetailJson } from './render-fleet.ts'

export interface NodeLifecycleRouterDeps {
  store: Pick<Store, 'fleet' | 'alerts'>
  requireScope: RequireScope
  now: () => number
  log: FleetLogger
  /** The fleet service's cache forgets a deleted node (its agent then registers afresh). */
  forget?: ((nodeId: number) => void) | undefined
  /** Asks the scheduler for a cycle soon (a resumed node may start waiting jobs). */
  poke?: ((reason: string) => void) | undefined
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * Taking a node out of service (admin): drain (no new jobs placed there; running ones
 * finish), resume, and delete (refused while a running job holds one of its GPUs). The
 * scheduling side of drain is docs/scheduling.md's; node failure is the liveness loop's.
 */
export function createNodeLifecycleRouter (deps: NodeLifecycleRouterDeps) {
  const { store, requireScope, now, log } = deps
  const app = createRouter()

  const setDrained = (drained: boolean) => async (id: number) => {
    const node = await store.fleet.setDrained(id, drained, now())
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with id ${id}`)
    log.info({ nodeId: id, hostname: node.hostname }, drained ? 'node drained' : 'node resumed')
    if (!drained) deps.poke?.('node_resumed')
    return nodeDetailJson(node)
  }
  const drain = setDrained(true)
  const resume = setDrained(false)

  app.openapi(createRoute({
    method: 'post', path: '/api/nodes/{id}/drain', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Drain a node: the scheduler places no new jobs on it (a job that fits only there waits with pending reason ' +
      'NODE_DRAINED); running jobs finish. Idempotent: drained_at keeps the first drain\'s time.',
    request: { params: idParamSchema },
    responses: { 200: json(nodeDetailSchema, 'The node, drained'), ...errorResponses(400, 401, 403, 404) },
  }), async c => c.json(await drain(Number(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'post', path: '/api/nodes/{id}/resume', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Resume a drained node: the scheduler places jobs on it again. Idempotent.',
    request: { params: idParamSchema },
    responses: { 200: json(nodeDetailSchema, 'The node, not drained'), ...errorResponses(400, 401, 403, 404) },
  }), async c => c.json(await resume(Number(c.req.valid('param').id)), 200))

  app.openapi(createRoute({
    method: 'delete', path: '/api/nodes/{id}', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Remove a node with its GPUs and node events; its open alert events (the node and its GPUs) resolve. ' +
      '409 NODE_HAS_RUNNING_JOBS (details.job_ids) while a running job holds one of its GPUs: drain it and let them end. ' +
      'Usage of ended jobs stays billable. An agent still running on the host registers it again as a new node.',
    request: { params: idParamSchema },
    responses: { 200: json(deletedNodeSchema, 'The node as it was, with what was removed'), ...errorResponses(400, 401, 403, 404, 409) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const result = await store.fleet.deleteNode(id)
    if (result === null) throw httpError('NODE_NOT_FOUND', `no node with id ${id}`)
    if (!result.deleted) {
      throw httpError('NODE_HAS_RUNNING_JOBS', `node ${id} has running jobs: ${result.runningJobIds.join(', ')}`, { job_ids: result.runningJobIds })
    }
    deps.forget?.(id)
    const resolved = await store.alerts.resolveSubjects([{ type: 'node', id }, ...result.gpuIds.map(g => ({ type: 'gpu' as const, id: g }))], now())
    log.info({ nodeId: id, hostname: result.node.hostname, gpus: result.gpuIds.length, alertsResolved: resolved.length }, 'node deleted')
    return c.json({ ...nodeDetailJson(result.node), deleted_gpu_ids: result.gpuIds, resolved_alert_event_ids: resolved.map(e => e.id) }, 200)
  })

  return app
}
