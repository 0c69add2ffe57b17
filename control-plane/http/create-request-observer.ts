import type { MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { CpEnv } from './cp-env.ts'
import type { CpMetrics } from './create-cp-metrics.ts'
import type { Logger } from '../../shared/logger.ts'

export type RequestLogger = Pick<Logger, 'debug' | 'info' | 'error'>

// Any other method string a client invents would become a new label value.
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

export interface RequestObserverOptions {
  log: RequestLogger
  metrics: Pick<CpMetrics, 'observeRequest'>
  /** Monotonic milliseconds; injectable so tests need no real time. */
  clock?: () => number
}

/**
 * One log line and one metric sample per request. Logged: method, path (no query string),
 * route pattern, status, duration and the caller's key id. Never headers or bodies, so keys
 * (Authorization, x-api-key, introspected `key`) cannot reach the log. Successes log at
 * debug (1 Hz agents would otherwise flood it), client errors at info, server errors at error.
 */
export function createRequestObserver (options: RequestObserverOptions): MiddlewareHandler<CpEnv> {
  const { log, metrics, clock = () => performance.now() } = options
  if (typeof log?.info !== 'function') throw new TypeError('createRequestObserver: log must be a pino-like logger')
  if (typeof metrics?.observeRequest !== 'function') throw new TypeError('createRequestObserver: metrics.observeRequest is required')

  return async function observeRequest (c, next) {
    const started = clock()
    await next()
    const ms = clock() - started
    const status = c.res.status
    // The handler is the last matched route that is not middleware (app.use registers 'ALL').
    const handler = matchedRoutes(c).findLast(r => r.method !== 'ALL')
    const route = status === 404 && handler === undefined ? 'unmatched' : (handler?.path ?? 'unmatched')
    const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER'
    metrics.observeRequest({ method, route, status }, ms / 1000)
    const entry = { method, path: c.req.path.slice(0, 256), route, status, ms: Math.round(ms * 10) / 10, keyId: c.get('principal')?.keyId ?? null }
    if (status >= 500) log.error(entry, 'request')
    else if (status >= 400) log.info(entry, 'request')
    else log.debug(entry, 'request')
  }
}
