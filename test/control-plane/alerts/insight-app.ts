import { join } from 'node:path'
import type { MiddlewareHandler } from 'hono'
import type { Test } from 'tap'
import { createAlertsRouter } from '../../../control-plane/alerts/create-alerts-router.ts'
import { createAlertsLoop } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { createDashboardRouter } from '../../../control-plane/dashboards/create-dashboard-router.ts'
import { hasScope } from '../../../control-plane/auth/principal.ts'
import type { CpEnv, RequireScope } from '../../../control-plane/http/cp-env.ts'
import { createRouter } from '../../../control-plane/http/create-router.ts'
import { createJsonBodyGuard } from '../../../control-plane/http/create-json-body-guard.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { SCOPES, type Scope } from '../../../shared/wire/introspect.ts'
import { fakeClock, memoryLog } from '../fleet/fleet-harness.ts'
import { fleetBuilder, openInsightStore } from '../store/insight-fixture.ts'
import { NOW } from './alerts-harness.ts'

/**
 * The test's auth: `Authorization: Bearer scopes:read,admin` grants those scopes and
 * `…;tenant:3` binds the key to tenant 3; no header is 401, a missing scope 403. Real keys
 * are the auth module's business (one test in insight-control-plane.test.ts uses them).
 */
export const tenantAwareRequireScope: RequireScope = (needed: Scope): MiddlewareHandler<CpEnv> => async (c, next) => {
  const m = /^Bearer scopes:([a-z,]*)(?:;tenant:([0-9]+))?$/.exec(c.req.header('authorization') ?? '')
  if (m === null) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid API key')
  const scopes = (m[1] ?? '').split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
  const principal = { keyId: 1, scopes, tenantId: m[2] === undefined ? null : Number(m[2]), via: 'api-key' as const }
  if (!hasScope(principal, needed)) throw new HttpError(403, 'FORBIDDEN', `requires the ${needed} scope`)
  c.set('principal', principal)
  await next()
}

/** The alerts and dashboard routers on one app as the lead mounts them, plus the loop, on a real store. */
export async function insightApp (t: Test, options: { allowPrivateWebhooks?: boolean } = {}) {
  const { store, rows, close } = await openInsightStore(join(t.testdir(), 'gpufleet.db'))
  const clock = fakeClock(NOW)
  const { lines, log } = memoryLog()
  const loop = createAlertsLoop({ store, now: clock.now, log, timers: clock.timers, webhook: false })
  t.teardown(async () => { await loop.stop(); await close() })
  const app = createRouter()
  app.onError(createOnError(log))
  app.notFound(notFound)
  app.use('*', createJsonBodyGuard())
  // Tests name loopback receivers: allowed here (as --alert-webhook-allow-private) unless a test says otherwise.
  app.route('/', createAlertsRouter({ store, requireScope: tenantAwareRequireScope, now: clock.now, log, allowPrivateWebhooks: options.allowPrivateWebhooks ?? true }))
  app.route('/', createDashboardRouter({ store, requireScope: tenantAwareRequireScope, now: clock.now, log }))

  const request = async (method: string, path: string, opts: { body?: unknown, raw?: string, auth?: string, type?: string } = {}) => {
    const headers: Record<string, string> = {}
    const auth = opts.auth ?? 'superadmin'
    if (auth !== '') headers.authorization = `Bearer scopes:${auth}`
    const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))
    if (body !== undefined) headers['content-type'] = opts.type ?? 'application/json'
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await res.text()
    let parsed: any = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed }
  }
  /** Everything the alerts and dashboards could write, to prove a rejected request wrote nothing. */
  const snapshot = async () => JSON.stringify([
    await store.alerts.listRules(), await store.alerts.listEvents({ limit: 100 }), await store.alerts.listDeliveries(),
    ['tenants', 'jobs', 'job_gpus', 'invoices', 'rates', 'gpus', 'nodes'].map(rows.count),
  ])
  return {
    store, rows, clock, lines, loop, app, fleet: fleetBuilder(store), snapshot,
    get: (path: string, auth?: string) => request('GET', path, { auth }),
    patch: (path: string, body: unknown, auth?: string) => request('PATCH', path, { body, auth }),
    request,
  }
}
