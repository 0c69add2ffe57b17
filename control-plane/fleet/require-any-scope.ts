import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Scope } from '../../shared/wire/introspect.ts'
import { HttpError } from '../../shared/http-error.ts'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'

const isForbidden = (err: unknown): boolean =>
  (err instanceof HttpError && err.status === 403) || (err instanceof HTTPException && err.status === 403)

/**
 * Passes when the caller holds any of `scopes` (registration takes a human `write` key or an
 * agent's `ingest` key, and neither implies the other). Built on the injected RequireScope so
 * authentication stays in one place: each check runs in turn, a 403 moves on to the next,
 * anything else (a 401, a pass) is final.
 */
export function requireAnyScope (requireScope: RequireScope, scopes: readonly Scope[]): MiddlewareHandler<CpEnv> {
  if (scopes.length === 0) throw new TypeError('requireAnyScope: scopes must not be empty')
  const checks = scopes.map(s => requireScope(s))
  return async (c, next) => {
    let lastDenial: unknown
    for (const check of checks) {
      let passed = false
      let res: Response | void
      try {
        res = await check(c, async () => { passed = true })
      } catch (err) {
        if (!isForbidden(err)) throw err
        lastDenial = err
        continue
      }
      // Outside the try: a 403 thrown by the route itself must not trigger the next check.
      if (passed) return next()
      if (res instanceof Response && res.status !== 403) return res
      lastDenial = res
    }
    if (lastDenial instanceof Response) return lastDenial
    throw lastDenial
  }
}
