import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Console session ids and their CSRF tokens. The id is 256 random bits (base64url, the cookie
 * value); the store keeps only its SHA-256. The CSRF token is an HMAC keyed by the id, so it
 * is per session, needs no storage, and neither a leaked page nor a leaked database reveals
 * the cookie.
 */
const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/

export function generateSessionId (): string {
  return randomBytes(32).toString('base64url')
}

/** Whether a cookie value can be a session id at all (else no lookup is spent on it). */
export function isSessionIdShape (value: string): boolean {
  return ID_SHAPE.test(value)
}

export function hashSessionId (id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex')
}

export function csrfTokenFor (sessionId: string): string {
  return createHmac('sha256', sessionId).update('gpufleet console csrf v1').digest('base64url')
}

/** Constant-time comparison of a presented token with the expected one. */
export function csrfTokenMatches (expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(presented, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}
