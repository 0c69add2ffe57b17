import type { MiddlewareHandler } from 'hono'
import { hasScope, type Principal } from '../../control-plane/auth/principal.ts'
import type { CpEnv, RequireScope } from '../../control-plane/http/cp-env.ts'
import { HttpError } from '../../shared/http-error.ts'
import { SCOPES, type Scope } from '../../shared/wire/introspect.ts'

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
