import { createRoute } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { requireAnyScope } from '../fleet/require-any-scope.ts'
import { refuseClusterBound } from '../auth/refuse-cluster-bound.ts'
import type { AnalyticsApp, AnalyticsContext } from './analytics-context.ts'
import {
  MAX_INFERENCE_BATCH, endpointNameParamSchema, endpointRecordSchema, endpointUpsertSchema, inferenceBatchSchema, inferenceIngestResultSchema,
} from '../../shared/wire/analytics-schemas.ts'
import { parseInferenceRecords } from './parse-inference-records.ts'
import { endpointJson } from './render-records.ts'

export const INFERENCE_RECORDS_PATH = '/v1/inference/records'
/** 5000 records of a few hundred bytes each, with room for long ids and model names. */
export const INFERENCE_BODY_LIMIT_BYTES = 4 * 1024 * 1024
const OLDEST_MS = Date.UTC(2000, 0, 1)
// Serving hosts' clocks drift; further ahead than this is a bad clock, not a record.
const FUTURE_TOLERANCE_MS = 5 * 60_000
const FOREVER = 8.64e15

const json = <T extends object>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * Writes from serving layers (an `ingest` key, or `admin` by hand): inference records in
 * idempotent batches, and endpoint deployments with their lifecycle.
 */
export function registerIngestRoutes (app: AnalyticsApp, ctx: AnalyticsContext): void {
  const { repo, requireScope, now, log, aliases } = ctx
  // Serving layers push often: check their scope first so their calls authenticate once.
  const anyWriter = requireAnyScope(requireScope, ['ingest', 'admin'])
  // Serving layers report for every tenant and node: not a GPU host's cluster-bound key.
  const notBound = refuseClusterBound('report inference records or endpoints (fleet-wide analytics)')
  const writer: typeof anyWriter = async (c, next) => anyWriter(c, async () => { await notBound(c, next) })

  app.openapi(createRoute({
    method: 'post',
    path: INFERENCE_RECORDS_PATH,
    tags: ['Analytics'],
    summary: `Ingest up to ${MAX_INFERENCE_BATCH} inference records (ingest or admin): idempotent per id, fail-soft per record`,
    description: 'Each record is checked on its own: an invalid one (or one stamped before 2000 or more than 5 minutes ahead of ' +
      'the server clock) is skipped and listed in `skipped`; the others are stored in one transaction with their rollups. ' +
      'A record whose id is already stored is ignored (first write wins), so a batch can be re-sent safely. ' +
      '400 only for the envelope: no `records` array or more than the limit (then nothing is stored).',
    security: API_KEY_SECURITY,
    middleware: [writer] as const,
    request: { body: { required: true, content: { 'application/json': { schema: inferenceBatchSchema } } } },
    responses: { 200: json(inferenceIngestResultSchema, 'Committed (also when some records were skipped)'), ...errorResponses(400, 401, 403, 413, 415) },
  }), async c => {
    const at = now()
    const { valid, skipped } = parseInferenceRecords(c.req.valid('json').records, { oldestMs: OLDEST_MS, newestMs: at + FUTURE_TOLERANCE_MS })
    const { inserted, duplicates } = await repo.insertInferenceRecords(valid)
    if (skipped.length > 0) log.info({ skipped: skipped.length, accepted: inserted, first: skipped[0]?.reason }, 'inference ingest skipped records')
    return c.json({ ok: true as const, accepted: inserted, duplicates, skipped }, 200)
  })

  app.openapi(createRoute({
    method: 'put',
    path: '/v1/endpoints/{name}',
    tags: ['Analytics'],
    summary: 'Create or update a serving endpoint (ingest or admin): 201 when a new deployment starts, 200 when the live one is updated',
    description: 'A name has at most one live deployment. Changed fields are recorded as an `updated` event; a PUT that changes ' +
      'nothing records nothing. Omitted optional fields are cleared (PUT replaces).',
    security: API_KEY_SECURITY,
    middleware: [writer] as const,
    request: { params: endpointNameParamSchema, body: { required: true, content: { 'application/json': { schema: endpointUpsertSchema } } } },
    responses: {
      200: json(endpointRecordSchema, 'Updated (or unchanged)'), 201: json(endpointRecordSchema, 'Created'), ...errorResponses(400, 401, 403, 413, 415),
    },
  }), async c => {
    const { name } = c.req.valid('param')
    const body = c.req.valid('json')
    const { endpoint, created, changed } = await repo.upsertEndpoint({
      name, model: body.model, replicas: body.replicas, status: body.status ?? 'active', tenantId: body.tenant_id ?? null, source: body.source ?? null,
    }, now())
    if (changed) log.info({ endpoint: name, id: endpoint.id, created }, created ? 'endpoint created' : 'endpoint updated')
    const activity = await repo.inferenceTotalsForEndpoint(endpoint.name, endpoint.createdAt, FOREVER)
    return c.json(endpointJson(endpoint, activity, await aliases()), created ? 201 : 200)
  })

  app.openapi(createRoute({
    method: 'delete',
    path: '/v1/endpoints/{name}',
    tags: ['Analytics'],
    summary: 'Delete the live deployment of an endpoint (ingest or admin); its history stays',
    security: API_KEY_SECURITY,
    middleware: [writer] as const,
    request: { params: endpointNameParamSchema },
    responses: { 200: json(endpointRecordSchema, 'Deleted'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const { name } = c.req.valid('param')
    const endpoint = await repo.deleteEndpoint(name, now())
    if (endpoint === null) throw httpError('ENDPOINT_NOT_FOUND', `no live endpoint named "${name}"`)
    log.info({ endpoint: name, id: endpoint.id }, 'endpoint deleted')
    const activity = await repo.inferenceTotalsForEndpoint(endpoint.name, endpoint.createdAt, endpoint.deletedAt ?? FOREVER)
    return c.json(endpointJson(endpoint, activity, await aliases()), 200)
  })
}
