import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { HttpError, errorBody } from '../../shared/http-error.ts'
import type { CpEnv, RequireScope } from '../http/cp-env.ts'

/**
 * requireScope('admin') that answers a non-admin key the way seed 001 says: "403 and an
 * empty result". The body is the one error shape with the route's empty result beside it
 * (e.g. `jobs: [], has_more: false`), so the seed's jq filters read an empty page instead of
 * failing. A route whose answer is an array (/v1/global-env) gets that empty array as the whole
 * body (an error object beside `[]` is not possible) and the code in `X-Error-Code`, so the
 * seed's `jq '.[] | select(…)'` reads nothing instead of failing on an object. 401 (no or bad
 * key) stays the plain error shape.
 */
export function adminOnly (requireScope: RequireScope, emptyResult: Readonly<Record<string, unknown>> | readonly never[] = {}): MiddlewareHandler<CpEnv> {
  const refuse = (c: Parameters<MiddlewareHandler<CpEnv>>[0], code: string, message: string, details?: Record<string, unknown>) => {
    if (Array.isArray(emptyResult)) {
      c.header('X-Error-Code', code)
      return c.json([], 403)
    }
    return c.json({ ...errorBody(403, code, message, details), ...emptyResult }, 403)
  }
  const check = requireScope('admin')
  return async function adminOnlyMiddleware (c, next) {
    let passed = false
    let res: Response | void
    try {
      res = await check(c, async () => { passed = true })
    } catch (err) {
      if (err instanceof HttpError && err.status === 403) return refuse(c, err.code, err.message, err.details)
      if (err instanceof HTTPException && err.status === 403) return refuse(c, 'FORBIDDEN', err.message || 'forbidden')
      throw err
    }
    // Outside the try: what the route itself throws is not an auth failure.
    if (passed) return next()
    return res
  }
}
