import { createRoute, type z } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import { parseInstant } from '../../shared/parse-instant.ts'
import { canonicalTimeZone } from '../../shared/zone-offset.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { SlurmRepository } from '../store/slurm-repository.ts'
import { HISTORY_KINDS } from '../analytics/history-kinds.ts'
import { SOURCE_ALIASES_KEY } from '../analytics/source-aliases.ts'
import { SUMMARY_MAX_DAYS } from '../analytics/register-summary-route.ts'
import { buildSlurmReport } from '../slurm/build-slurm-report.ts'
import {
  aliasesPutSchema, aliasesSchema, gpuPlatformQuerySchema, gpuPlatformSchema, proxyWorkerEventsQuerySchema, slurmQuerySchema, slurmReportSchema,
} from '../../shared/wire/analytics-proxy-schemas.ts'
import { workerEventsSchema } from '../../shared/wire/analytics-schemas.ts'
import { gatewayCall, type ApiFetch } from './gateway-call.ts'
import { SESSION_SECURITY, sessionAdminOnly } from './session-admin-only.ts'

export interface AnalyticsProxyDeps {
  requireScope: RequireScope
  /** The whole app in process (RouterContext.api): the gateway routes are called as the session. */
  api: ApiFetch
  slurm: SlurmRepository
  now: () => number
  /** The Slurm source this control plane imports from (null: none configured). */
  slurmSource: string | null
}

const DAY = 86_400_000
const DEFAULT_DAYS = 30
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

const EMPTY_PAGE = Object.freeze({ jobs: [], has_more: false })
export const EMPTY_GPU_PLATFORM = Object.freeze({
  history: Object.freeze(Object.fromEntries(HISTORY_KINDS.map(k => [k.name, EMPTY_PAGE]))),
  summary: Object.freeze({ rows: [] }),
})
const NO_GROUP = Object.freeze({ jobs: 0, gpu_jobs: 0, gpu_seconds: 0, gpu_hours: 0 })
export const EMPTY_SLURM = Object.freeze({ totals: NO_GROUP, by_state: [], by_user: [], by_account: [], by_partition: [], by_cluster: [], rows: [] })
export const EMPTY_ALIASES = Object.freeze({ aliases: {} })
export const EMPTY_WORKER_EVENTS = Object.freeze({ count: 0, events: [] })

/**
 * Seed 001's session-authenticated proxies behind the console's Analytics page:
 * GET /api/analytics/gpuplatform, GET /api/analytics/slurm, GET|PUT /api/analytics/aliases and
 * GET /api/analytics/worker-events. They read the console session (never an API key), fan out
 * to the gateway routes in process as that session, and hold the Slurm plane (which has no
 * gateway route: its data only reaches the browser through here, like SlurmUI's).
 */
export function createAnalyticsProxyRouter (deps: AnalyticsProxyDeps) {
  const { requireScope, api, slurm, now, slurmSource } = deps
  if (typeof requireScope !== 'function') throw new TypeError('createAnalyticsProxyRouter: requireScope must be a function')
  if (typeof api !== 'function') throw new TypeError('createAnalyticsProxyRouter: api must be a function')
  if (slurm === undefined) throw new TypeError('createAnalyticsProxyRouter: slurm repository is required')
  const app = createRouter()
  // Declared where it is used: only an app serving these routes documents the cookie scheme.
  app.openAPIRegistry.registerComponent('securitySchemes', 'consoleSession', {
    type: 'apiKey', in: 'cookie', name: 'gpufleet_session', description: 'The console\'s session cookie (log in at /login); PUT also needs x-csrf-token',
  })

  // The window every read shares: until (exclusive; the page sends end + 1 s) defaults to now, since to 30 days before.
  const windowOf = (q: { since?: string | undefined, until?: string | undefined }) => {
    const until = q.until === undefined ? now() : parseInstant(q.until)!
    const since = q.since === undefined ? until - DEFAULT_DAYS * DAY : parseInstant(q.since)!
    if (since > until) throw httpError('VALIDATION_FAILED', 'since: must not be after until (until defaults to now)', { issues: [{ path: 'since', message: 'must not be after until' }] })
    if (until - since > SUMMARY_MAX_DAYS * DAY) {
      throw httpError('VALIDATION_FAILED', `until: the window is at most ${SUMMARY_MAX_DAYS} days`, { issues: [{ path: 'until', message: `the window is at most ${SUMMARY_MAX_DAYS} days` }] })
    }
    return { since, until }
  }

  app.openapi(createRoute({
    method: 'get',
    path: '/api/analytics/gpuplatform',
    tags: ['Analytics (console)'],
    summary: 'GPU Platform plane: one page of every history kind plus the per-day summary, for the session (admin)',
    description: 'Proxies gateway /v1/history/{kind} (newest first, `limit` per kind) and /v1/history/summary in parallel with the same ' +
      'window; `until` is exclusive (send end + 1 s to include the end). Session cookie only: an API key is refused 401 SESSION_REQUIRED.',
    security: SESSION_SECURITY,
    middleware: sessionAdminOnly(requireScope, EMPTY_GPU_PLATFORM),
    request: { query: gpuPlatformQuerySchema },
    responses: { 200: json(gpuPlatformSchema, 'History pages by kind and the summary'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const { since, until } = windowOf(q)
    const tz = q.tz ?? 'UTC'
    const window = `since=${encodeURIComponent(iso(since)!)}&until=${encodeURIComponent(iso(until)!)}`
    const paging = `order=desc&limit=${q.limit ?? '1000'}&offset=${q.offset ?? '0'}`
    const kinds = HISTORY_KINDS.filter(k => q.kind === undefined || k.name === q.kind)
    const [summary, ...pages] = await Promise.all([
      gatewayCall<Record<string, unknown>>(api, c, `/v1/history/summary?${window}&tz=${encodeURIComponent(tz)}`),
      ...kinds.map(k => gatewayCall<{ jobs: Record<string, unknown>[], has_more: boolean }>(api, c, `/v1/history/${k.name}?${window}&${paging}`)),
    ])
    const history = Object.fromEntries(kinds.map((k, i) => [k.name, { jobs: pages[i]!.jobs, has_more: pages[i]!.has_more }]))
    return c.json({ tz, since: iso(since)!, until: iso(until)!, history, summary: summary! }, 200)
  })

  app.openapi(createRoute({
    method: 'get',
    path: '/api/analytics/slurm',
    tags: ['Analytics (console)'],
    summary: 'Slurm plane: job counts and GPU-hours (allocated gres/gpu) by day in tz, state, user, account, partition and cluster (admin session)',
    description: 'Read from the Slurm accounting the leader imports (slurmrestd or sacct). No cost: Slurm has no price. When Slurm is ' +
      'unreachable the last imported data is answered with `data_as_of`, `age_s` and `stale: true`.',
    security: SESSION_SECURITY,
    middleware: sessionAdminOnly(requireScope, EMPTY_SLURM),
    request: { query: slurmQuerySchema },
    responses: { 200: json(slurmReportSchema, 'The Slurm report'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const { since, until } = windowOf(q)
    const tz = q.tz ?? 'UTC'
    const at = now()
    const [jobs, state] = await Promise.all([slurm.listJobs({ since, until }), slurm.latestImportState()])
    const report = buildSlurmReport(jobs, { tz: canonicalTimeZone(tz)!, since, until })
    const asOf = state?.lastSuccessAt ?? null
    return c.json({
      tz,
      since: iso(since)!,
      until: iso(until)!,
      configured: slurmSource !== null,
      source: slurmSource ?? state?.source ?? null,
      data_as_of: iso(asOf),
      age_s: asOf === null ? null : Math.max(0, Math.floor((at - asOf) / 1000)),
      stale: asOf === null || (state?.lastError ?? null) !== null,
      last_attempt_at: iso(state?.lastAttemptAt ?? null),
      last_error: state?.lastError ?? null,
      ...report,
    }, 200)
  })

  const aliasesOf = (e: { value: string, updated_at: string | null }) => ({
    key: 'ANALYTICS_SOURCE_ALIASES' as const,
    value: e.value,
    aliases: JSON.parse(e.value) as Record<string, string>,
    updated_at: e.updated_at,
  })

  app.openapi(createRoute({
    method: 'get',
    path: '/api/analytics/aliases',
    tags: ['Analytics (console)'],
    summary: 'The GPU-source → label alias map (gateway /v1/global-env, ANALYTICS_SOURCE_ALIASES), for the session (admin)',
    security: SESSION_SECURITY,
    middleware: sessionAdminOnly(requireScope, EMPTY_ALIASES),
    responses: { 200: json(aliasesSchema, 'The alias map'), ...errorResponses(401, 403) },
  }), async c => {
    const env = await gatewayCall<Array<{ key: string, value: string, updated_at: string | null }>>(api, c, '/v1/global-env')
    const entry = env.find(e => e.key === SOURCE_ALIASES_KEY) ?? { value: '{}', updated_at: null }
    return c.json(aliasesOf(entry), 200)
  })

  app.openapi(createRoute({
    method: 'put',
    path: '/api/analytics/aliases',
    tags: ['Analytics (console)'],
    summary: 'Replace the alias map (gateway PUT /v1/global-env/ANALYTICS_SOURCE_ALIASES), for the session (admin; x-csrf-token)',
    security: SESSION_SECURITY,
    middleware: sessionAdminOnly(requireScope, EMPTY_ALIASES),
    request: { body: { required: true, content: { 'application/json': { schema: aliasesPutSchema } } } },
    responses: { 200: json(aliasesSchema, 'Stored'), ...errorResponses(400, 401, 403, 413, 415) },
  }), async c => {
    const { value } = c.req.valid('json')
    const entry = await gatewayCall<{ value: string, updated_at: string | null }>(api, c, `/v1/global-env/${SOURCE_ALIASES_KEY}`, { method: 'PUT', body: { value } })
    return c.json(aliasesOf(entry), 200)
  })

  app.openapi(createRoute({
    method: 'get',
    path: '/api/analytics/worker-events',
    tags: ['Analytics (console)'],
    summary: 'Worker lifecycle events (gateway /admin/worker-events), for the session (admin)',
    security: SESSION_SECURITY,
    middleware: sessionAdminOnly(requireScope, EMPTY_WORKER_EVENTS),
    request: { query: proxyWorkerEventsQuerySchema },
    responses: { 200: json(workerEventsSchema, 'Events, oldest first'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const params = new URLSearchParams()
    if (q.since !== undefined) params.set('since', q.since)
    if (q.until !== undefined) params.set('until', q.until)
    if (q.limit !== undefined) params.set('limit', q.limit)
    const query = params.toString()
    return c.json(await gatewayCall<z.infer<typeof workerEventsSchema>>(api, c, `/admin/worker-events${query === '' ? '' : `?${query}`}`), 200)
  })

  return app
}
