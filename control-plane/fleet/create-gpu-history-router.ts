import { createRoute } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { httpError } from '../../shared/error-codes.ts'
import { errorResponse, idParamSchema } from '../../shared/wire/fleet-schemas.ts'
import { gpuHistoryQuerySchema, gpuHistorySchema } from '../../shared/wire/gpu-history-schemas.ts'
import { tenantForbidden } from '../auth/tenant-policy.ts'
import { queryGpuHistory } from './query-gpu-history.ts'
import { gpuHistoryPoint } from './render-gpu-history.ts'

export interface GpuHistoryRouterDeps {
  store: Pick<Store, 'fleet' | 'gpuHistory'>
  requireScope: RequireScope
  now: () => number
}

/** Per-GPU history of a node (issue 17), from the history loop's rollups and the newest raw rows. */
export function createGpuHistoryRouter ({ store, requireScope, now }: GpuHistoryRouterDeps) {
  const app = createRouter()
  app.openapi(createRoute({
    method: 'get', path: '/api/nodes/{id}/gpu-history', tags: ['fleet'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'Utilization (average and maximum), temperature, memory used and power per GPU of a node over the last hour ' +
      '(1-minute points, from raw samples), 24 hours (5 minutes), 7 days (1 hour) or 30 days (3 hours), from per-GPU rollups ' +
      'kept as long as the other rollups. `gpu` picks one GPU by its index on the node. Tenant-bound keys are refused ' +
      '(a GPU\'s past belongs to whoever held it then).',
    request: { params: idParamSchema, query: gpuHistoryQuerySchema },
    responses: {
      200: { description: 'The history', content: { 'application/json': { schema: gpuHistorySchema } } },
      400: errorResponse('Invalid id, range or gpu (VALIDATION_FAILED)'),
      401: errorResponse('Missing or invalid API key'),
      403: errorResponse('Key lacks the scope, or is bound to a tenant'),
      404: errorResponse('No such node (NODE_NOT_FOUND), or no GPU with that index on it (GPU_NOT_FOUND)'),
    },
  }), async c => {
    if (c.get('principal')?.tenantId != null) throw tenantForbidden('read GPU history')
    const id = Number(c.req.valid('param').id)
    const q = c.req.valid('query')
    const range = q.range ?? '24h'
    const node = await store.fleet.getNode(id)
    if (node === null) throw httpError('NODE_NOT_FOUND', `no node with id ${id}`)
    const gpuId = q.gpu === undefined ? undefined : Number(q.gpu)
    const t = now()
    const [registered, withHistory, window] = await Promise.all([
      store.fleet.listGpus({ nodeId: id }),
      store.gpuHistory.gpuIds(id),
      queryGpuHistory(store.gpuHistory, { nodeId: id, gpuId, range, now: t }),
    ])
    const known = new Set([...registered.map(g => g.gpuIndex), ...withHistory, ...window.byGpu.keys()])
    if (gpuId !== undefined && !known.has(gpuId)) throw httpError('GPU_NOT_FOUND', `node ${id} (${node.hostname}) has no GPU ${gpuId}`)
    const shown = gpuId === undefined ? [...known].sort((a, b) => a - b) : [gpuId]
    return c.json({
      node_id: node.id,
      hostname: node.hostname,
      cluster_id: node.clusterId,
      range,
      step_seconds: window.stepMs / 1000,
      from: new Date(window.fromMs).toISOString(),
      to: new Date(t).toISOString(),
      gpus: shown.map(index => {
        const g = registered.find(r => r.gpuIndex === index)
        return { gpu_index: index, model: g?.model ?? null, uuid: g?.uuid ?? null, points: (window.byGpu.get(index) ?? []).map(gpuHistoryPoint) }
      }),
    }, 200)
  })
  return app
}
