import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import { httpError } from '../../shared/error-codes.ts'

/**
 * A fixed bearer token (for /metrics when the operator sets one). Compared as SHA-256
 * digests so timingSafeEqual gets equal lengths and the token's length doesn't leak.
 */
export function requireBearerToken (token: string) {
  if (typeof token !== 'string' || token.length < 16) {
    throw new TypeError('requireBearerToken: token must be a string of at least 16 characters')
  }
  const expected = digest(token)
  return createMiddleware(async function requireBearerToken (c, next) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('authorization') ?? '')
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      c.header('WWW-Authenticate', 'Bearer realm="gpufleet-agent metrics"')
      throw httpError('UNAUTHORIZED', 'metrics require "Authorization: Bearer <metrics token>"')
    }
    return next()
  })
}

function digest (value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}
