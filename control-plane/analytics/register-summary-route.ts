import { createRoute } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { adminOnly } from './admin-only.ts'
import type { AnalyticsApp, AnalyticsContext } from './analytics-context.ts'
import { summaryQuerySchema, summarySchema } from '../../shared/wire/analytics-schemas.ts'
import { buildSummary } from './build-summary.ts'
import { parseInstant } from '../../shared/parse-instant.ts'
import { canonicalTimeZone } from '../../shared/zone-offset.ts'
import { iso } from './render-records.ts'

const DAY = 86_400_000
export const SUMMARY_DEFAULT_DAYS = 30
// One row per day: a bound on the answer's size and on the work behind it.
export const SUMMARY_MAX_DAYS = 400

/** Seed 001: GET /v1/history/summary?since&until&tz → { rows } (exact per-day counts; admin). */
export function registerSummaryRoute (app: AnalyticsApp, ctx: AnalyticsContext): void {
  const { repo, requireScope, now, aliases } = ctx
  app.openapi(createRoute({
    method: 'get',
    path: '/v1/history/summary',
    tags: ['Analytics'],
    summary: 'Exact per-day inference counts, tokens, GPU jobs, GPU-hours and cost, by calendar day in tz (admin)',
    description: 'Answered from 15-minute rollups kept at ingest (exact for every zone in use: all offsets and DST changes fall ' +
      'on quarter hours), never from the paged list. GPU-hours and cost are metered per GPU and cut at local midnight. ' +
      `Days with no activity are listed with zeros. The window is at most ${SUMMARY_MAX_DAYS} days.`,
    security: API_KEY_SECURITY,
    middleware: [adminOnly(requireScope, { rows: [] })] as const,
    request: { query: summaryQuerySchema },
    responses: { 200: { description: 'One row per local day', content: { 'application/json': { schema: summarySchema } } }, ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const at = now()
    const until = q.until === undefined ? at : parseInstant(q.until)!
    const since = q.since === undefined ? until - SUMMARY_DEFAULT_DAYS * DAY : parseInstant(q.since)!
    if (since > until) {
      throw httpError('VALIDATION_FAILED', 'since: must not be after until (until defaults to now)', {
        issues: [{ path: 'since', message: 'must not be after until' }],
      })
    }
    if (until - since > SUMMARY_MAX_DAYS * DAY) {
      throw httpError('VALIDATION_FAILED', `until: the window is at most ${SUMMARY_MAX_DAYS} days`, {
        issues: [{ path: 'until', message: `the window is at most ${SUMMARY_MAX_DAYS} days` }],
      })
    }
    const tz = q.tz ?? 'UTC'
    // Computed with ICU's canonical name, echoed as asked (Asia/Kolkata stays Asia/Kolkata).
    const rows = await buildSummary(repo, { tz: canonicalTimeZone(tz)!, since, until, now: at, aliases: await aliases() })
    return c.json({ tz, since: iso(since) as string, until: iso(until) as string, currency: 'usd' as const, rows }, 200)
  })
}
