import type { MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { httpError } from '../../shared/error-codes.ts'
import { SESSION_COOKIE } from '../auth/create-session-auth.ts'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'
import { adminOnly } from '../analytics/admin-only.ts'

/**
 * Seed 001's /api/analytics/* proxies "read your session cookie, not a Bearer token": a request
 * with an API key (Authorization or x-api-key) is refused 401 SESSION_REQUIRED whatever the
 * key, and one without a session cookie 401 UNAUTHORIZED. The session then goes through the
 * same requireScope('admin') as the gateway (CSRF on PUT, tenant policy): a session that is not
 * a fleet admin gets 403 with the route's empty result beside the error, as the seed says.
 */
export function sessionAdminOnly (requireScope: RequireScope, emptyResult: Readonly<Record<string, unknown>>): MiddlewareHandler<CpEnv>[] {
  const sessionOnly: MiddlewareHandler<CpEnv> = async (c, next) => {
    if (c.req.header('authorization') !== undefined || c.req.header('x-api-key') !== undefined) {
      throw httpError('SESSION_REQUIRED', 'the /api/analytics routes read the console session cookie, never an API key; with a key, call the gateway (/v1/history, /admin/worker-events, /v1/global-env)')
    }
    if ((getCookie(c, SESSION_COOKIE) ?? '') === '') {
      c.header('WWW-Authenticate', 'Cookie realm="gpufleet console"')
      throw httpError('UNAUTHORIZED', 'log in to the console: these routes read its session cookie')
    }
    await next()
  }
  return [sessionOnly, adminOnly(requireScope, emptyResult)]
}

/** OpenAPI `security` of the proxy routes: the console's session cookie only. */
export const SESSION_SECURITY: Array<Record<string, string[]>> = [{ consoleSession: [] }]
