import { createRoute } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { adminOnly } from './admin-only.ts'
import type { AnalyticsApp, AnalyticsContext } from './analytics-context.ts'
import { workerEventsQuerySchema, workerEventsSchema } from '../../shared/wire/analytics-schemas.ts'
import { parseInstant } from '../../shared/parse-instant.ts'
import { workerEventJson } from './render-records.ts'

export const WORKER_EVENTS_DEFAULT_LIMIT = 1000

/** Seed 001: GET /admin/worker-events?since&until&limit → { count, events } (admin). */
export function registerWorkerEventsRoute (app: AnalyticsApp, ctx: AnalyticsContext): void {
  const { repo, requireScope } = ctx
  app.openapi(createRoute({
    method: 'get',
    path: '/admin/worker-events',
    tags: ['Analytics'],
    summary: 'Durable worker lifecycle events, oldest first (admin)',
    description: 'The fleet registry\'s node events (agent registered/online/offline) merged with the scheduler\'s job events ' +
      '(job started/ended, GPU assigned/released), ordered by time (node events first at the same instant), in one shape.',
    security: API_KEY_SECURITY,
    middleware: [adminOnly(requireScope, { count: 0, events: [] })] as const,
    request: { query: workerEventsQuerySchema },
    responses: { 200: { description: 'Events', content: { 'application/json': { schema: workerEventsSchema } } }, ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const { events, truncated } = await repo.listWorkerEvents({
      since: q.since === undefined ? null : parseInstant(q.since),
      until: q.until === undefined ? null : parseInstant(q.until),
      limit: q.limit === undefined ? WORKER_EVENTS_DEFAULT_LIMIT : Number(q.limit),
    })
    return c.json({ count: events.length, truncated, events: events.map(workerEventJson) }, 200)
  })
}
