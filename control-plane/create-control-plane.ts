import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { secureHeaders } from 'hono/secure-headers'
import type { Registry } from 'prom-client'
import { createOnError, notFound } from '../shared/on-error.ts'
import { httpError } from '../shared/error-codes.ts'
import type { ControlPlaneConfig } from './config.ts'
import type { Store } from './store/store.ts'
import { isStoreUnavailable } from './store/is-store-unavailable.ts'
import type { CpEnv, RequireScope } from './http/cp-env.ts'
import { createRouter } from './http/create-router.ts'
import { createBodyLimit } from './http/create-body-limit.ts'
import { createJsonBodyGuard } from './http/create-json-body-guard.ts'
import { createCpMetrics } from './http/create-cp-metrics.ts'
import { createFleetMetrics } from './http/create-fleet-metrics.ts'
import { createRequestObserver } from './http/create-request-observer.ts'
import type { CpLogger, RouterContext, RouterMount } from './http/router-mount.ts'
import { registerApiKeySecuritySchemes } from './http/api-key-security.ts'
import { errorResponses } from './http/error-responses.ts'
import { createFailureLimiter } from './auth/create-failure-limiter.ts'
import { createRequireScope } from './auth/create-require-scope.ts'
import { createApiKeysRouter } from './auth/create-api-keys-router.ts'
import { createIntrospectRouter } from './auth/create-introspect-router.ts'
import { createSessionAuth } from './auth/create-session-auth.ts'
import { createOperatorTokenRouter } from './auth/create-operator-token-router.ts'
import { createOperatorTokenSigner } from './auth/create-operator-token-signer.ts'
import { createRevocationEpoch } from './auth/create-revocation-epoch.ts'
import { withTenantPolicy } from './auth/tenant-policy.ts'
import { createProxyTrust } from './http/create-proxy-trust.ts'
import { CONTROL_PLANE_VERSION } from './version.ts'
import type { LeaderLease } from './loops/leader-lease.ts'
import { createLeaderMetrics } from './loops/create-leader-metrics.ts'

export interface ControlPlaneDeps {
  store: Store
  log: CpLogger
  config: ControlPlaneConfig
  now?: () => number
  /** Defaults to a new private Registry; pass one to read it in tests or share it. */
  registry?: Registry
  routers?: readonly RouterMount[]
  /** Console session lifetime (default config.sessionTtlMs, i.e. --session-ttl, 8 h). */
  sessionTtlMs?: number
  /** Which replica runs the background loops; shown on /healthz and /metrics. None: always leader. */
  leadership?: LeaderLease
  /** Aborted when the server starts to stop (RouterContext.closing); none: never. */
  closing?: AbortSignal
}

const HealthSchema = z.object({
  status: z.literal('ok'),
  details: z.object({
    role: z.enum(['leader', 'follower']).openapi({ description: 'leader: this replica runs the scheduler, alerts, retention and liveness' }),
    lease: z.enum(['sole', 'advisory_lock']),
    leader_since: z.string().nullable(),
  }).optional(),
}).openapi('Health')

/**
 * The control plane as one Hono app, built apart from listening (start-control-plane.ts
 * serves it; tests call app.request()). Order matters: observe (so every answer is logged
 * and counted) → secure headers → body limit → JSON-only bodies → routes, each route
 * authenticating itself through requireScope before its schema reads the body.
 */
export function createControlPlane (deps: ControlPlaneDeps): OpenAPIHono<CpEnv> {
  const { store, log, config } = deps
  if (store?.apiKeys === undefined) throw new TypeError('createControlPlane: store is required')
  if (typeof log?.info !== 'function') throw new TypeError('createControlPlane: log must be a pino-like logger')
  if (config === undefined) throw new TypeError('createControlPlane: config is required (parseControlPlaneConfig)')
  const now = deps.now ?? Date.now
  const metrics = createCpMetrics({ ...(deps.registry === undefined ? {} : { registry: deps.registry }), ...(store.engine === 'sqlite' ? { dbPath: config.db } : {}) })
  // One bucket per address for bad keys and failed console logins alike.
  const rateLimiter = createFailureLimiter({ capacity: config.authFailuresPerMinute, now })
  // --trust-proxy: the client's address and scheme from the proxy's X-Forwarded-* headers.
  const proxy = createProxyTrust(config.trustProxy)
  const sessions = createSessionAuth({ store, now, limiter: rateLimiter, onAuthFailure: metrics.authFailure, ttlMs: deps.sessionTtlMs ?? config.sessionTtlMs, proxy })
  // Every route's tenancy decision (own, shared, deny) is one table: tenant-policy.ts.
  const requireScope = withTenantPolicy(createRequireScope({
    store,
    config,
    now,
    rateLimiter,
    onAuthFailure: metrics.authFailure,
    log,
    sessions,
    clientAddress: proxy.clientAddress,
  }))
  const leadership = deps.leadership
  if (leadership !== undefined) createLeaderMetrics(metrics.registry, leadership)
  const isLeader = leadership === undefined ? () => true : leadership.isLeader
  createFleetMetrics({ registry: metrics.registry, store, now, log, isLeader })
  let self: OpenAPIHono<CpEnv> | undefined
  const api = async (path: string, init?: RequestInit): Promise<Response> => {
    if (self === undefined) throw new Error('createControlPlane: api() called before the app was built')
    return self.request(path, init)
  }
  const operatorTokens = createOperatorTokenSigner({ keys: store.operatorKeys, now })
  // Injected clock when a test gives one (it then drives the once-a-second reread); else monotonic.
  const revocationEpoch = createRevocationEpoch({ read: () => store.operatorKeys.revocationEpoch(), ...(deps.now === undefined ? {} : { now: deps.now }) })
  const closing = deps.closing ?? new AbortController().signal
  const ctx: RouterContext = { store, log, config, now, registry: metrics.registry, requireScope, sessions, api, isLeader, operatorTokens, revocationEpoch, closing }
  const mounts: RouterMount[] = [
    { path: '/', router: createApiKeysRouter({ store, requireScope, now }) },
    { path: '/', router: createIntrospectRouter({ store, requireScope, now, clientAddress: proxy.clientAddress, limiter: createFailureLimiter({ capacity: config.introspectFailuresPerMinute, now }) }) },
    { path: '/', router: createOperatorTokenRouter({ store, requireScope, signer: operatorTokens, epoch: revocationEpoch }) },
    ...(deps.routers ?? []),
  ]

  const app = createRouter()
  const onError = createOnError(log)
  // The database restarting or out of reach is a 503 the client may retry, never a 500.
  app.onError((err, c) => onError(isStoreUnavailable(err) ? httpError('STORE_UNAVAILABLE', 'the store is not answering; retry') : err, c))
  app.notFound(notFound)
  app.use('*', createRequestObserver({ log, metrics }))
  app.use('*', secureHeaders())
  app.use('*', createBodyLimit({ defaultBytes: config.bodyLimitBytes, overrides: mounts.flatMap(m => m.bodyLimits ?? []) }))
  app.use('*', createJsonBodyGuard({ formPaths: mounts.flatMap(m => m.formPaths ?? []), rawPaths: mounts.flatMap(m => m.rawBodyPaths ?? []) }))

  app.openapi(createRoute({
    method: 'get',
    path: '/healthz',
    tags: ['Health'],
    summary: 'Ready: the store answers (unauthenticated)',
    responses: { 200: { description: 'Ready', content: { 'application/json': { schema: HealthSchema } } }, ...errorResponses(503) },
  }), async c => {
    try {
      await store.apiKeys.hasAny()
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'healthz: store check failed')
      throw httpError('STORE_UNAVAILABLE', 'the store is not answering')
    }
    if (leadership === undefined) return c.json({ status: 'ok' as const }, 200)
    const lease = leadership.status()
    return c.json({
      status: 'ok' as const,
      details: {
        role: lease.leader ? 'leader' as const : 'follower' as const,
        lease: lease.mode,
        leader_since: lease.since === null ? null : new Date(lease.since).toISOString(),
      },
    }, 200)
  })

  // Unauthenticated like dcgm-exporter's: aggregate counts only, no keys, tenants or paths.
  app.get('/metrics', async c => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType }))

  for (const m of mounts) app.route(m.path, typeof m.router === 'function' ? m.router(ctx) : m.router)

  self = app
  registerApiKeySecuritySchemes(app)
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'gpufleet control plane', version: CONTROL_PLANE_VERSION },
  })
  return app
}
