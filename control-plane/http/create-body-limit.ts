import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HttpError } from '../../shared/http-error.ts'

export interface BodyLimitOptions {
  defaultBytes: number
  /** Larger (or smaller) limits for path prefixes, e.g. a bulk-ingest router. Longest prefix wins. */
  overrides?: ReadonlyArray<{ prefix: string, bytes: number }>
}

/**
 * Caps request bodies before anything reads them (Content-Length when given, else counted
 * while streaming): over the limit → 413 PAYLOAD_TOO_LARGE in the one error shape.
 */
export function createBodyLimit (options: BodyLimitOptions): MiddlewareHandler {
  const check = (bytes: number, what: string) => {
    if (!Number.isInteger(bytes) || bytes < 1) throw new TypeError(`createBodyLimit: ${what} must be a positive integer, got ${bytes}`)
  }
  check(options.defaultBytes, 'defaultBytes')
  const overrides = [...(options.overrides ?? [])]
    .map(o => {
      check(o.bytes, `the limit for ${o.prefix}`)
      return { prefix: o.prefix.replace(/\/+$/, ''), bytes: o.bytes }
    })
    .sort((a, b) => b.prefix.length - a.prefix.length)
  const limiters = new Map<number, MiddlewareHandler>()
  const limiterFor = (bytes: number) => {
    let mw = limiters.get(bytes)
    if (mw === undefined) {
      mw = bodyLimit({
        maxSize: bytes,
        onError: () => { throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${bytes} bytes`, { limit_bytes: bytes }) },
      })
      limiters.set(bytes, mw)
    }
    return mw
  }
  for (const o of overrides) limiterFor(o.bytes)
  const fallback = limiterFor(options.defaultBytes)

  return async function bodyLimitByPath (c, next) {
    const path = c.req.path
    const o = overrides.find(o => path === o.prefix || path.startsWith(o.prefix + '/'))
    return (o === undefined ? fallback : limiterFor(o.bytes))(c, next)
  }
}
