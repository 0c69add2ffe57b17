import { createRoute, z } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { Context } from 'hono'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { GpuStatRow } from '../../shared/wire/gpu-stats.ts'
import type { OperatorTokenKey } from '../../shared/wire/operator-token.ts'
import { gpuRegistrationSchema, nodeRegistrationSchema } from '../../shared/wire/registration.ts'
import { createFleetService, type FleetService } from './create-fleet-service.ts'
import type { FleetLogger } from './fleet-logger.ts'
import {
  clusterCreatedSchema, clusterDetailSchema, clusterSchema, clusterSummarySchema, createClusterBodySchema, updateClusterBodySchema, errorResponse, gpuSchema,
  idParamSchema, metricsBodySchema, metricsResultSchema, registeredNodeSchema,
} from '../../shared/wire/fleet-schemas.ts'
import { parseMetricRows } from './parse-metric-rows.ts'
import { clusterJson, gpuJson, iso, nodeDetailJson, nodeJson } from './render-fleet.ts'
import { requireAnyScope } from './require-any-scope.ts'

export interface JobCounts { active_jobs: number, queued_jobs: number }

/** A reading accepted by POST /api/clusters/metrics, handed on to telemetry as a seed 000 row. */
export interface FleetSample { nodeId: number, clusterId: number, gpuId: number, row: GpuStatRow }

export interface FleetRouterDeps {
  store: Store
  requireScope: RequireScope
  now: () => number
  log: FleetLogger
  /** Mints the cluster's agent key (ingest scope); its raw value is returned once. */
  createClusterKey: (clusterId: number, label: string) => Promise<{ key: string, key_prefix: string }>
  /** Jobs arrive in a later issue: absent means 0 active, 0 queued. */
  jobCounts?: ((clusterIds: number[]) => Promise<Map<number, JobCounts>>) | undefined
  /** Absent means []. */
  recentJobs?: ((clusterId: number) => Promise<unknown[]>) | undefined
  /** Telemetry's store for metrics rows; must not call back into the fleet (the route already did). */
  recordSamples?: ((samples: FleetSample[]) => Promise<void>) | undefined
  /** Share one with telemetry ingest so both see the same node cache; made here if absent. */
  service?: FleetService | undefined
  /** The operator-token public key, sent in the registration answer for agents to pin. */
  operatorTokenKey?: (() => Promise<OperatorTokenKey>) | undefined
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } })
const denied = { 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope') }
// A cluster-bound agent key acts for its own cluster's nodes only (cluster-binding-errors.ts).
const BOUND = 'A cluster-bound agent key (the one POST /api/clusters returns) acts for its own cluster only: another cluster ' +
  '(id or name) is 403 CLUSTER_MISMATCH, another region 403 REGION_MISMATCH, a node of another cluster 403 NODE_OWNED_BY_OTHER_CLUSTER; nothing is written.'
const boundDenied = { 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope (FORBIDDEN), or a cluster-bound key reached outside its cluster (CLUSTER_MISMATCH, REGION_MISMATCH, NODE_OWNED_BY_OTHER_CLUSTER)') }
const boundCluster = (c: Context<CpEnv>): number | null => c.var.principal?.clusterId ?? null

/** Seed 003 "GPU Management": clusters, node registration/heartbeat, GPU registration, metrics. */
export function createFleetRouter (deps: FleetRouterDeps) {
  const { store, requireScope, now, log } = deps
  const service = deps.service ?? createFleetService({ store, now, log })
  // Agents (ingest) push at 1 Hz: check their scope first so their calls authenticate once;
  // the last denial, the one a person sees, names 'write'.
  const agentOrWriter = requireAnyScope(requireScope, ['ingest', 'write'])
  const app = createRouter()

  // The heartbeat must not fail because the signing key could not be read: the agent keeps
  // what it pinned and hears the key with the next heartbeat.
  const publishedOperatorKey = async (): Promise<OperatorTokenKey | null> => {
    if (deps.operatorTokenKey === undefined) return null
    try {
      return await deps.operatorTokenKey()
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, 'operator-token key unavailable; registration answered without it')
      return null
    }
  }

  const countsFor = async (ids: number[]) => (deps.jobCounts === undefined ? new Map<number, JobCounts>() : await deps.jobCounts(ids))

  app.openapi(createRoute({
    method: 'get', path: '/api/clusters', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'List all GPU clusters with live job counts and GPU totals (seed 003).',
    responses: { 200: json(z.array(clusterSummarySchema), 'Clusters, oldest first'), ...denied },
  }), async (c) => {
    const clusters = await store.fleet.listClusters()
    const counts = await countsFor(clusters.map(x => x.id))
    return c.json(clusters.map(x => ({
      ...clusterJson(x), node_count: x.nodeCount, gpu_count: x.gpuCount, ...(counts.get(x.id) ?? { active_jobs: 0, queued_jobs: 0 }),
    })), 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/clusters', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Create a GPU cluster. Returns the cluster record with a generated ingest-scoped API key for its agents, shown once.',
    request: body(createClusterBodySchema),
    responses: {
      201: json(clusterCreatedSchema, 'Created'), 400: errorResponse('Invalid body'), 409: errorResponse('Name taken (CLUSTER_EXISTS)'), ...denied,
    },
  }), async (c) => {
    const { name, region, default_time_limit_min: defaultTimeLimitMin } = c.req.valid('json')
    const cluster = await store.fleet.createCluster({ name, region: region ?? null, defaultTimeLimitMin: defaultTimeLimitMin ?? null }, now())
    if (cluster === null) throw httpError('CLUSTER_EXISTS', `a cluster named "${name}" already exists`)
    let key: { key: string, key_prefix: string }
    try {
      key = await deps.createClusterKey(cluster.id, `cluster ${name} agents`)
    } catch (err) {
      // No cluster without its key: the caller can simply retry the same request.
      await store.fleet.deleteEmptyCluster(cluster.id)
      throw err
    }
    log.info({ clusterId: cluster.id, name, keyPrefix: key.key_prefix }, 'cluster created')
    return c.json({
      ...clusterJson(cluster), node_count: 0, gpu_count: 0, active_jobs: 0, queued_jobs: 0, api_key: key.key, api_key_prefix: key.key_prefix,
    }, 201)
  })

  app.openapi(createRoute({
    method: 'patch', path: '/api/clusters/{id}', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Set a cluster\'s default_time_limit_min: jobs submitted later without time_limit_min get it (running and waiting jobs keep theirs).',
    request: { params: idParamSchema, ...body(updateClusterBodySchema) },
    responses: { 200: json(clusterSchema, 'The cluster'), 400: errorResponse('Bad id or body'), 404: errorResponse('No such cluster'), ...denied },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const { default_time_limit_min: defaultTimeLimitMin } = c.req.valid('json')
    const cluster = await store.fleet.updateCluster(id, { defaultTimeLimitMin })
    if (cluster === null) throw httpError('CLUSTER_NOT_FOUND', `no cluster with id ${id}`)
    log.info({ clusterId: id, defaultTimeLimitMin }, 'cluster updated')
    return c.json(clusterJson(cluster), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/clusters/{id}', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Full cluster details: nodes (status, last_seen_at) with their GPUs and live readings, plus recent jobs.',
    request: { params: idParamSchema },
    responses: { 200: json(clusterDetailSchema, 'The cluster'), 400: errorResponse('Bad id'), 404: errorResponse('No such cluster'), ...denied },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const cluster = await store.fleet.getCluster(id)
    if (cluster === null) throw httpError('CLUSTER_NOT_FOUND', `no cluster with id ${id}`)
    const [nodes, gpus, counts, recent] = await Promise.all([
      store.fleet.listNodes({ clusterId: id }),
      store.fleet.listGpus({ clusterId: id }),
      countsFor([id]),
      deps.recentJobs === undefined ? [] : deps.recentJobs(id),
    ])
    return c.json({
      ...clusterJson(cluster),
      node_count: nodes.length,
      gpu_count: gpus.length,
      ...(counts.get(id) ?? { active_jobs: 0, queued_jobs: 0 }),
      nodes: nodes.map(n => ({ ...nodeDetailJson(n), gpus: gpus.filter(g => g.nodeId === n.id).map(gpuJson) })),
      recent_jobs: recent,
    }, 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/clusters/nodes', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [agentOrWriter] as const,
    description: 'Register or heartbeat a compute node (write or ingest scope). Idempotent: a known hostname updates that node, ' +
      'marks it seen and back online. Send cluster_id, or cluster_name (+ region) to find or create the cluster by name ' +
      '(an unbound caller only: a bound key never creates a cluster). ' + BOUND,
    request: body(nodeRegistrationSchema),
    responses: {
      200: json(registeredNodeSchema, 'Existing node updated'), 201: json(registeredNodeSchema, 'Node created'),
      400: errorResponse('Invalid body'), 404: errorResponse('Unknown cluster_id'), ...boundDenied,
    },
  }), async (c) => {
    const { node, created, cluster } = await service.registerNode(c.req.valid('json'), boundCluster(c))
    const operatorKey = await publishedOperatorKey()
    return c.json({ ...nodeJson(node), cluster_name: cluster.name, created, ...(operatorKey === null ? {} : { operator_token_key: operatorKey }) }, created ? 201 : 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/clusters/gpus', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [agentOrWriter] as const,
    description: 'Register GPUs on a node (write or ingest scope). Idempotent per gpu_index, then per uuid; known GPUs are updated. ' +
      'Returns only newly created records. A GPU without gpu_index and without a known uuid takes the lowest free index. ' + BOUND,
    request: body(gpuRegistrationSchema),
    responses: {
      200: json(z.array(gpuSchema), 'Nothing new'), 201: json(z.array(gpuSchema), 'Newly created GPUs'),
      400: errorResponse('Invalid body'), 404: errorResponse('Unknown node_id'), ...boundDenied,
    },
  }), async (c) => {
    const created = await service.registerGpus(c.req.valid('json'), boundCluster(c))
    return c.json(created.map(gpuJson), created.length > 0 ? 201 : 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/clusters/metrics', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [agentOrWriter] as const,
    description: 'Bulk GPU readings (write or ingest scope): updates live readings and status (active above 10 % utilization, else idle), ' +
      'marks the GPUs\' nodes seen. Fail-soft per row as in seed 000: a malformed or out-of-range row, or an unknown gpu_id, ' +
      'is skipped and listed in `skipped`; the others apply. 400 only without a top-level `metrics` array. ' + BOUND +
      ' (a row for another cluster\'s GPU refuses the whole request).',
    request: body(metricsBodySchema),
    responses: { 200: json(metricsResultSchema, 'Applied'), 400: errorResponse('No metrics array'), ...boundDenied },
  }), async (c) => {
    const { valid, skipped } = parseMetricRows(c.req.valid('json').metrics)
    const { updated, unknownIds } = await service.recordMetrics(valid, boundCluster(c))
    const unknown = new Set(unknownIds)
    for (const row of valid) if (unknown.has(row.gpu_id)) skipped.push({ index: row.index, gpu_id: row.gpu_id, reason: 'gpu_id: unknown GPU' })
    skipped.sort((a, b) => a.index - b.index)
    if (deps.recordSamples !== undefined && updated.length > 0) {
      await deps.recordSamples(updated.map(g => ({
        nodeId: g.nodeId,
        clusterId: g.clusterId,
        gpuId: g.id,
        row: {
          gpu_id: g.gpuIndex,
          name: (g.model ?? '').slice(0, 64),
          uuid: g.uuid,
          utilization_pct: g.utilizationPct,
          memory_used_mb: g.memoryUsedMb,
          memory_total_mb: g.memoryTotalMb,
          temp_c: g.temperatureC,
          power_draw_w: g.powerDrawW,
          recorded_at: iso(g.updatedAt) ?? undefined,
        },
      })))
    }
    return c.json({ ok: true as const, updated: updated.length, skipped }, 200)
  })

  return app
}
