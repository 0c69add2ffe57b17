import { createRoute, type z } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { adminOnly } from './admin-only.ts'
import type { AnalyticsApp, AnalyticsContext } from './analytics-context.ts'
import {
  endpointPageSchema, gpuJobPageSchema, historyKindsSchema, historyQuerySchema, inferencePageSchema,
} from '../../shared/wire/analytics-schemas.ts'
import { HISTORY_KINDS, type HistoryKind } from './history-kinds.ts'
import { pageQuery } from './page-query.ts'
import { endpointJson, inferenceJson, jobJson } from './render-records.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const EMPTY_PAGE = Object.freeze({ jobs: [], has_more: false })
const FOREVER = 8.64e15

/**
 * Seed 001 history: GET /v1/history (the kinds) and GET /v1/history/{kind} → { jobs, has_more }.
 * Every list is ordered by (time, id), a total order, so paging with offset until has_more is
 * false returns each record once (as long as nothing new lands inside the window meanwhile).
 */
export function registerHistoryRoutes (app: AnalyticsApp, ctx: AnalyticsContext): void {
  const { repo, requireScope, now, aliases } = ctx
  const admin = adminOnly(requireScope, EMPTY_PAGE)
  const route = (kind: HistoryKind, schema: z.ZodType, description: string) => createRoute({
    method: 'get',
    path: `/v1/history/${kind.name}`,
    tags: ['Analytics'],
    summary: kind.description,
    description,
    security: API_KEY_SECURITY,
    middleware: [admin] as const,
    request: { query: historyQuerySchema },
    responses: { 200: json(schema, 'One page'), ...errorResponses(400, 401, 403) },
  })

  app.openapi(createRoute({
    method: 'get',
    path: '/v1/history',
    tags: ['Analytics'],
    summary: 'The history kinds (admin)',
    security: API_KEY_SECURITY,
    middleware: [adminOnly(requireScope, { kinds: [] })] as const,
    responses: { 200: json(historyKindsSchema, 'Kinds, each with its path'), ...errorResponses(401, 403) },
  }), c => c.json({
    kinds: HISTORY_KINDS.map(k => ({ name: k.name, path: `/v1/history/${k.name}`, carries_cost: k.records === 'gpu', description: k.description })),
  }, 200))

  for (const kind of HISTORY_KINDS) {
    if (kind.records === 'gpu') {
      app.openapi(route(kind, gpuJobPageSchema, `Jobs of kind ${kind.jobKinds.join(' or ')} by submitted_at. cost = cost_per_hr × duration ` +
        '(per GPU held, at the rate card\'s price for its model); running jobs are priced up to now (cost_final false).'), async c => {
        const q = pageQuery(c.req.valid('query'))
        const [page, rates, map] = await Promise.all([repo.listJobs(kind.jobKinds, q), repo.listRates(), aliases()])
        const at = now()
        return c.json({ jobs: page.items.map(j => jobJson(j, rates, at, map)), has_more: page.hasMore }, 200)
      })
    } else if (kind.records === 'inference') {
      app.openapi(route(kind, inferencePageSchema, 'Inference request records by `at`. Truncated by paging at high volume: ' +
        'exact totals come from /v1/history/summary.'), async c => {
        const q = pageQuery(c.req.valid('query'))
        const [page, map] = await Promise.all([repo.listInferenceRecords(q), aliases()])
        return c.json({ jobs: page.items.map(r => inferenceJson(r, map)), has_more: page.hasMore }, 200)
      })
    } else {
      app.openapi(route(kind, endpointPageSchema, 'Serving deployments by created_at, with lifecycle events and the requests ' +
        'and tokens of the inference records naming them during their lifetime.'), async c => {
        const q = pageQuery(c.req.valid('query'))
        const [page, map] = await Promise.all([repo.listEndpoints(q), aliases()])
        const jobs = []
        for (const e of page.items) {
          jobs.push(endpointJson(e, await repo.inferenceTotalsForEndpoint(e.name, e.createdAt, e.deletedAt ?? FOREVER), map))
        }
        return c.json({ jobs, has_more: page.hasMore }, 200)
      })
    }
  }
}
