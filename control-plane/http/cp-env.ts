import type { MiddlewareHandler } from 'hono'
import type { Scope } from '../../shared/wire/introspect.ts'
import type { Principal } from '../auth/principal.ts'

/** Hono environment of every control-plane router. */
export interface CpEnv {
  Variables: {
    principal: Principal
  }
}

/**
 * Middleware factory that authenticates the caller and requires `scope` (401 without a
 * valid credential, 403 without the scope). Routers take it as a dependency so tests can
 * pass a trivial one.
 */
export type RequireScope = (scope: Scope) => MiddlewareHandler<CpEnv>
