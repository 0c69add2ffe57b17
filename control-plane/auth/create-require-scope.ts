import type { Context } from 'hono'
import type { Scope } from '../../shared/wire/introspect.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { RequireScope } from '../http/cp-env.ts'
import type { Store } from '../store/store.ts'
import { LAST_USED_RESOLUTION_MS } from '../store/api-key-repository.ts'
import { hasScope, type Principal } from './principal.ts'
import { createFailureLimiter, type FailureLimiter } from './create-failure-limiter.ts'
import { readCredential } from './read-credential.ts'
import { verifyApiKey } from './verify-api-key.ts'
import { countKeyFailure } from './count-key-failure.ts'
import { clientAddress as socketAddress } from '../../shared/client-address.ts'
import type { SessionAuth } from './create-session-auth.ts'

// 403s are not counted here: requireAnyScope-style composition tries scopes in turn, so a
// 403 from one check is not a refusal; http_requests_total{status="403"} counts real ones.
export type AuthFailureReason = 'missing' | 'invalid' | 'rate_limited'

export interface RequireScopeDeps {
  store: Pick<Store, 'apiKeys'>
  /** demo: seed 003's "missing header → read-only", only when the operator asked for it. */
  config: { demo: boolean }
  now?: () => number
  /** Failed attempts per client address; default 20 a minute. */
  rateLimiter?: FailureLimiter
  /** For the auth-failure counter on /metrics. */
  onAuthFailure?: (reason: AuthFailureReason) => void
  log?: { warn: (obj: object, msg: string) => void }
  /** Peer address for the limiter (default: the socket's remote address, see clientAddress). */
  clientAddress?: (c: Context) => string
  /** Console sessions: a request with no key but a session cookie is that session (CSRF on unsafe methods). */
  sessions?: SessionAuth
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const DEMO_PRINCIPAL: Principal = Object.freeze({ keyId: null, scopes: Object.freeze(['read'] as Scope[]), tenantId: null, via: 'demo' })

/**
 * Builds the RequireScope every router takes: authenticates the caller, sets
 * `c.var.principal`, and requires `scope`. 401 UNAUTHORIZED without a valid key, 403
 * FORBIDDEN naming the scope, 429 TOO_MANY_AUTH_FAILURES for a bad key from an address that has
 * failed too often (a valid key is never refused for its address).
 */
export function createRequireScope (deps: RequireScopeDeps): RequireScope {
  const { store, config, now = Date.now, onAuthFailure = () => {}, log, clientAddress = socketAddress, sessions } = deps
  if (typeof config?.demo !== 'boolean') throw new TypeError('createRequireScope: config.demo must be a boolean')
  const limiter = deps.rateLimiter ?? createFailureLimiter({ capacity: 20, now })

  async function authenticate (c: Context): Promise<Principal> {
    const credential = readCredential(name => c.req.header(name))
    if (credential.kind === 'none') {
      const session = sessions === undefined ? null : await sessions.read(c)
      if (session === 'invalid') throw unauthorized(c, 'your console session has expired or ended; log in again')
      if (session !== null) {
        if (!SAFE_METHODS.has(c.req.method) && sessions?.csrfOk(c, session) !== true) {
          throw httpError('CSRF_INVALID', 'missing or wrong CSRF token (x-csrf-token); reload the page and try again')
        }
        return session.principal
      }
      if (config.demo) return DEMO_PRINCIPAL
      // Not counted against the address: sending nothing guesses nothing.
      onAuthFailure('missing')
      throw unauthorized(c, 'an API key is required (Authorization: Bearer gfk_… or x-api-key)')
    }
    // The key is checked first: a valid key is never slowed, whatever its address did
    // (agents behind one NAT share an address with whoever sends it bad keys). Only failures
    // count, and only they get 429 once the address has failed too often.
    const record = credential.kind === 'key' ? await verifyApiKey(store.apiKeys, credential.key) : null
    if (record === null) {
      throw countKeyFailure(c, clientAddress(c), limiter, onAuthFailure, 'too many failed authentication attempts from this address; retry later') ??
        unauthorized(c, 'invalid or revoked API key')
    }
    const at = now()
    // The record just read says whether a write is due; the repository throttles again so
    // replicas sharing a database agree.
    if (record.lastUsedAt === null || at - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
      await store.apiKeys.touchLastUsed(record.id, at).catch((err: Error) => {
        log?.warn({ keyId: record.id, err: { message: err.message } }, 'could not record last_used_at')
      })
    }
    return { keyId: record.id, scopes: record.permissions, tenantId: record.tenantId, clusterId: record.clusterId, via: 'api-key' }
  }

  return function requireScope (scope: Scope) {
    return async function requireScopeMiddleware (c, next) {
      const principal = await authenticate(c)
      c.set('principal', principal)
      if (!hasScope(principal, scope)) {
        throw httpError('FORBIDDEN', `this endpoint requires the '${scope}' scope`, { required_scope: scope })
      }
      await next()
    }
  }
}

function unauthorized (c: Context, message: string): HttpError {
  c.header('WWW-Authenticate', 'Bearer realm="gpufleet"')
  return httpError('UNAUTHORIZED', message)
}
