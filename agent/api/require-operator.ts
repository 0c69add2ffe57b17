import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { httpError } from '../../shared/error-codes.ts'
import type { AuthFailureLimiter } from './auth-failure-limiter.ts'
import { clientAddress as socketAddress } from '../../shared/client-address.ts'
import type { AuthVia, OperatorAuth } from './operator-auth.ts'
import { OPERATOR_ACTIONS, looksLikeJwt, type OperatorAction } from '../../shared/wire/operator-token.ts'

export interface OperatorIdentity {
  via: AuthVia
  keyId: number | null
}

export type OperatorEnv = { Variables: { operator: OperatorIdentity } }

export interface RequireOperatorOptions {
  auth: OperatorAuth
  /** Brake on repeated invalid keys per client; null to turn it off. */
  limiter?: AuthFailureLimiter | null
  clientAddress?: (c: Context) => string
}

// The control plane's introspection accepts keys up to this length; longer is never valid.
const MAX_KEY_LENGTH = 512
// An operator token is ~450 characters; room for longer audiences, never unbounded.
const MAX_TOKEN_LENGTH = 2048
const CHALLENGE = 'Bearer realm="gpufleet-agent"'

/**
 * Seed 004: /v1/gpu/* is operator-only. No key or an unknown key → 401, a valid key
 * without the superadmin scope → 403. The verdict's source goes on `c.var.operator`.
 */
export function requireOperator (options: RequireOperatorOptions) {
  if (typeof options?.auth?.check !== 'function') {
    throw new TypeError('requireOperator: auth must be an OperatorAuth (an object with check(key))')
  }
  const { auth } = options
  const limiter = options.limiter ?? null
  const addressOf = options.clientAddress ?? socketAddress

  return createMiddleware<OperatorEnv>(async function requireOperator (c, next) {
    const client = addressOf(c)
    // Failures are slowed, valid credentials never: an address past its budget still gets
    // through with an operator token (checked locally) or a key whose valid verdict is cached;
    // only a key that would need a new introspection is refused there, so a brute force never
    // reaches the control plane.
    const waitMs = limiter?.retryAfterMs(client) ?? 0
    const refuse = (): never => {
      const retryAfterS = Math.ceil(waitMs / 1000)
      c.header('Retry-After', String(retryAfterS))
      throw httpError('TOO_MANY_AUTH_FAILURES',
        `too many failed authentication attempts from this address; retry in ${retryAfterS} s`,
        { retry_after_s: retryAfterS })
    }
    const key = presentedKey(c)
    const jwt = looksLikeJwt(key)
    if (key.length > (jwt ? MAX_TOKEN_LENGTH : MAX_KEY_LENGTH)) {
      if (waitMs > 0) refuse()
      limiter?.fail(client)
      c.header('WWW-Authenticate', CHALLENGE)
      throw httpError('UNAUTHORIZED', 'invalid or revoked API key')
    }
    let result
    if (waitMs > 0 && !jwt) {
      const cached = auth.cachedVerdict?.(key) ?? null
      result = cached !== null && cached.verdict !== 'unauthorized' ? cached : refuse()
    } else {
      result = await auth.check(key, actionOf(c.req.path))
      if (result.verdict === 'unauthorized' && waitMs > 0) refuse()
    }
    switch (result.verdict) {
      case 'ok':
        c.set('operator', { via: result.via, keyId: result.keyId })
        return next()
      case 'forbidden':
        throw httpError('FORBIDDEN', result.message ?? 'this endpoint requires an API key with the superadmin scope (operators only)')
      case 'unauthorized':
        limiter?.fail(client)
        c.header('WWW-Authenticate', CHALLENGE)
        throw httpError('UNAUTHORIZED', result.message ?? 'invalid or revoked API key')
      case 'unavailable':
        throw httpError('AUTH_UNAVAILABLE', 'control plane unreachable; use the break-glass key')
    }
  })
}

/** /v1/gpu/status → 'status': what an operator token must allow for this request. */
function actionOf (path: string): OperatorAction | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1)
  return (OPERATOR_ACTIONS as readonly string[]).includes(last) ? last as OperatorAction : undefined
}

/** `Authorization: Bearer <key>` (preferred when both are sent) or `x-api-key: <key>`. */
function presentedKey (c: Context): string {
  const authorization = c.req.header('authorization')
  let key: string | undefined
  if (authorization !== undefined && authorization.trim() !== '') {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    if (match === null) {
      c.header('WWW-Authenticate', CHALLENGE)
      throw httpError('UNAUTHORIZED', 'unsupported Authorization header: send "Authorization: Bearer <key>" or "x-api-key: <key>"')
    }
    key = match[1]
  } else {
    key = c.req.header('x-api-key')?.trim()
  }
  if (key === undefined || key === '') {
    c.header('WWW-Authenticate', CHALLENGE)
    throw httpError('UNAUTHORIZED', 'missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"')
  }
  return key
}
