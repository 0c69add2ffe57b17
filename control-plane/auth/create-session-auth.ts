import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import { createProxyTrust, type ProxyTrust } from '../http/create-proxy-trust.ts'
import type { Store } from '../store/store.ts'
import { hasScope, type Principal } from './principal.ts'
import type { FailureLimiter } from './create-failure-limiter.ts'
import { verifyApiKey } from './verify-api-key.ts'
import { countKeyFailure } from './count-key-failure.ts'
import { csrfTokenFor, csrfTokenMatches, generateSessionId, hashSessionId, isSessionIdShape } from './session-tokens.ts'

export const SESSION_COOKIE = 'gpufleet_session'
/** The client script sends the token in this header; plain forms in this field. */
export const CSRF_HEADER = 'x-csrf-token'
export const CSRF_FIELD = '_csrf'
export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000

/** An authenticated console request. */
export interface ConsoleSession {
  principal: Principal
  csrfToken: string
  expiresAt: number
}

export type LoginResult =
  | { ok: true, session: ConsoleSession }
  | { ok: false, error: HttpError }

export interface SessionAuth {
  /** Checks a typed key (admin or higher) and, if good, stores a session and sets the cookie. */
  login: (c: Context, rawKey: string) => Promise<LoginResult>
  /** The request's session; null without a cookie; 'invalid' for an unknown, expired or orphaned one. */
  read: (c: Context) => Promise<ConsoleSession | null | 'invalid'>
  /** Deletes the request's session (if any) and clears the cookie. */
  logout: (c: Context) => Promise<void>
  /** Whether an unsafe request carries this session's CSRF token (header or form field) from our own origin. */
  csrfOk: (c: Context, session: ConsoleSession, formToken?: string) => boolean
}

export interface SessionAuthDeps {
  store: Pick<Store, 'apiKeys' | 'sessions'>
  now?: () => number
  ttlMs?: number
  /** The control plane's auth-failure limiter: failed logins drain the same bucket as bad keys. */
  limiter: FailureLimiter
  onAuthFailure?: (reason: 'invalid' | 'rate_limited') => void
  /** Client address, TLS and origin as seen through a trusted proxy (default: trust none). */
  proxy?: ProxyTrust
}

/**
 * Console sessions: login with an admin-or-higher API key → a random session id in an
 * HttpOnly, SameSite=Strict, Path=/ cookie (Secure when the request came over TLS). The
 * session's scopes are the key's, re-read on every request, so a revoked or demoted key ends
 * its sessions at once. Session misses are not counted as auth failures: guessing a 256-bit
 * id is hopeless, and counting would lock out an operator whose expired tab keeps polling.
 */
export function createSessionAuth (deps: SessionAuthDeps): SessionAuth {
  const { store, now = Date.now, ttlMs = DEFAULT_SESSION_TTL_MS, limiter, onAuthFailure = () => {}, proxy = NO_PROXY } = deps
  const { clientAddress, isTls } = proxy
  const sameOrigin = (c: Context): boolean => {
    const origin = c.req.header('origin')
    return origin === undefined || origin === 'null' || origin === proxy.origin(c)
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1000) throw new TypeError(`createSessionAuth: ttlMs must be an integer ≥ 1000, got ${ttlMs}`)

  const principalOf = (key: { id: number, permissions: Principal['scopes'], tenantId: number | null }): Principal =>
    ({ keyId: key.id, scopes: key.permissions, tenantId: key.tenantId, via: 'session' })

  return {
    async login (c, rawKey) {
      // Login CSRF (logging a victim into the attacker's session) needs a foreign form post.
      if (!sameOrigin(c)) return { ok: false, error: httpError('CSRF_INVALID', 'log in from the console\'s own login page') }
      // The key first: a valid key logs in whatever its address did before; only failures
      // count, and only they are refused once the address has failed too often.
      const record = await verifyApiKey(store.apiKeys, rawKey.trim())
      if (record === null) {
        const tooMany = countKeyFailure(c, clientAddress(c), limiter, onAuthFailure, 'too many failed attempts from this address; wait a minute and try again')
        return { ok: false, error: tooMany ?? httpError('UNAUTHORIZED', 'that API key is not valid (unknown, mistyped or revoked)') }
      }
      const principal = principalOf(record)
      if (!hasScope(principal, 'admin')) {
        return { ok: false, error: httpError('FORBIDDEN', `the console needs an admin or superadmin key; this key has only ${record.permissions.join(', ')}`, { required_scope: 'admin' }) }
      }
      const at = now()
      // Housekeeping rides on logins, which are rare: expired rows never pile up.
      await store.sessions.deleteExpired(at)
      const id = generateSessionId()
      const expiresAt = at + ttlMs
      await store.sessions.create({ idHash: hashSessionId(id), keyId: record.id, createdAt: at, expiresAt })
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: isTls(c),
        maxAge: Math.floor(ttlMs / 1000),
      })
      return { ok: true, session: { principal, csrfToken: csrfTokenFor(id), expiresAt } }
    },

    async read (c) {
      const id = getCookie(c, SESSION_COOKIE)
      if (id === undefined || id === '') return null
      if (!isSessionIdShape(id)) return 'invalid'
      const idHash = hashSessionId(id)
      const session = await store.sessions.findActive(idHash, now())
      if (session === null) return 'invalid'
      const key = await store.apiKeys.findById(session.keyId)
      const principal = key === null || key.revokedAt !== null ? null : principalOf(key)
      if (principal === null || !hasScope(principal, 'admin')) {
        await store.sessions.delete(idHash)
        return 'invalid'
      }
      return { principal, csrfToken: csrfTokenFor(id), expiresAt: session.expiresAt }
    },

    async logout (c) {
      const id = getCookie(c, SESSION_COOKIE)
      if (id !== undefined && isSessionIdShape(id)) await store.sessions.delete(hashSessionId(id))
      deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isTls(c) })
    },

    csrfOk (c, session, formToken) {
      // SameSite=Strict already keeps other sites' requests cookie-less; the token is the
      // second lock and the Origin (when the browser sends one) a third.
      return sameOrigin(c) && csrfTokenMatches(session.csrfToken, c.req.header(CSRF_HEADER) ?? formToken)
    },
  }
}

const NO_PROXY = createProxyTrust(false)
