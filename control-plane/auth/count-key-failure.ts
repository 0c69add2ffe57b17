import type { Context } from 'hono'
import type { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { FailureLimiter } from './create-failure-limiter.ts'

/**
 * A key that did not verify, from `address`: an address that has failed too often gets the
 * 429 to answer instead (with Retry-After), anything else counts one failure against it and
 * gets null (the caller answers 401). Only failures are counted, so a valid key is never slowed.
 */
export function countKeyFailure (
  c: Context,
  address: string,
  limiter: FailureLimiter,
  onAuthFailure: (reason: 'invalid' | 'rate_limited') => void,
  tooManyMessage: string,
): HttpError | null {
  const wait = limiter.retryAfterMs(address)
  if (wait > 0) {
    onAuthFailure('rate_limited')
    c.header('Retry-After', String(Math.ceil(wait / 1000)))
    return httpError('TOO_MANY_AUTH_FAILURES', tooManyMessage, { retry_after_s: Math.ceil(wait / 1000) })
  }
  limiter.fail(address)
  onAuthFailure('invalid')
  return null
}
