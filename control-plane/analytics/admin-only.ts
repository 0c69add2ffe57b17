import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { HttpError, errorBody } from '../../shared/http-error.ts'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'

/**
 * requireScope('admin') that answers a non-admin key the way seed 001 says: "403 and an
 * empty result". The body is the one error shape with the route's empty result beside it
 * (e.g. `jobs: [], has_more: false`), so the seed's jq filters read an empty page instead of
 * failing. 401 (no or bad key) stays the plain error shape.
 */
export function adminOnly (requireScope: RequireScope, emptyResult: Readonly<Record<string, unknown>> = {}): MiddlewareHandler<CpEnv> {
  const check = requireScope('admin')
  return async function adminOnlyMiddleware (c, next) {
    let passed = false
    let res: Response | void
    try {
      res = await check(c, async () => { passed = true })
    } catch (err) {
      if (err instanceof HttpError && err.status === 403) {
        return c.json({ ...errorBody(403, err.code, err.message, err.details), ...emptyResult }, 403)
      }
      if (err instanceof HTTPException && err.status === 403) {
        return c.json({ ...errorBody(403, 'FORBIDDEN', err.message || 'forbidden'), ...emptyResult }, 403)
      }
      throw err
    }
    // Outside the try: what the route itself throws is not an auth failure.
    if (passed) return next()
    return res
  }
}
