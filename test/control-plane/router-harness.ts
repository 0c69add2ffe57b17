import type { Hono, MiddlewareHandler } from 'hono'
import { hasScope, type Principal } from '../../control-plane/auth/principal.ts'
import type { CpEnv, RequireScope } from '../../control-plane/http/cp-env.ts'
import { createJsonBodyGuard } from '../../control-plane/http/create-json-body-guard.ts'
import { createRouter } from '../../control-plane/http/create-router.ts'
import { HttpError } from '../../shared/http-error.ts'
import { createOnError, notFound, type ErrorLogger } from '../../shared/on-error.ts'
import { SCOPES, type Scope } from '../../shared/wire/introspect.ts'
import { request } from './cp-harness.ts'

/** What the suites that mount one router alone (no control plane, no real keys) inject. */

/**
 * The test's auth: `Authorization: Bearer scopes:read,write` grants those scopes,
 * `Bearer scopes:admin;tenant:2` binds the key to tenant 2, and `Bearer ingest` is one scope.
 * No header (or an unknown single scope) is 401, a missing scope 403. Real keys are the auth
 * module's business and tested there (cpHarness runs them).
 */
export const testRequireScope: RequireScope = (needed: Scope): MiddlewareHandler<CpEnv> => async (c, next) => {
  const m = /^Bearer (scopes:)?([a-z,]*)(?:;tenant:([0-9]+))?$/.exec(c.req.header('authorization') ?? '')
  const scopes = (m?.[2] ?? '').split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
  if (m === null || (m[1] === undefined && scopes.length !== 1)) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid API key')
  const principal: Principal = { keyId: 1, scopes, tenantId: m[3] === undefined ? null : Number(m[3]), via: 'api-key' }
  if (!hasScope(principal, needed)) throw new HttpError(403, 'FORBIDDEN', `requires the ${needed} scope`)
  c.set('principal', principal)
  await next()
}

export interface LogLine { level: string, obj: any, msg: string }

/** A logger that records (level, object, message) for the test to read. */
export function memoryLog () {
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }) }
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}

/**
 * Routers mounted at / as the control plane mounts them (the one error shape, the 404, and
 * with jsonGuard the JSON body guard), without the rest of it.
 */
export function routerApp (log: ErrorLogger, routers: ReadonlyArray<Hono<CpEnv, any, any>>, options: { jsonGuard?: boolean } = {}) {
  const app = createRouter()
  app.onError(createOnError(log))
  app.notFound(notFound)
  if (options.jsonGuard === true) app.use('*', createJsonBodyGuard())
  for (const router of routers) app.route('/', router)
  return app
}

/**
 * A request with testRequireScope's key for `scopes` ('' sends none): `body` is sent as JSON,
 * `raw` as it is; the status and the parsed body.
 */
export async function scopedRequest (app: Hono<CpEnv, any, any>, method: string, path: string, scopes: string, o: { body?: unknown, raw?: string, headers?: Record<string, string> } = {}) {
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
  const res = await request(app, method, path, { body, ...(o.headers === undefined ? {} : { headers: o.headers }), ...(scopes === '' ? {} : { key: `scopes:${scopes}` }) })
  return { status: res.status, body: res.body }
}
