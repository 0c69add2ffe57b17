import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { httpError } from '../../shared/error-codes.ts'

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
        onError: () => { throw httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${bytes} bytes`, { limit_bytes: bytes }) },
      })
      limiters.set(bytes, mw)
    }
    return mw
  }
  for (const o of overrides) limiterFor(o.bytes)
  const fallback = limiterFor(options.defaultBytes)

  return async function bodyLimitByPath (c, next) {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next()
    const path = c.req.path
    const o = overrides.find(o => path === o.prefix || path.startsWith(o.prefix + '/'))
    const bytes = o === undefined ? options.defaultBytes : o.bytes
    // Fast path for the 1 Hz ingest of thousands of agents: with a Content-Length (and no
    // chunked encoding) HTTP/1.1 framing makes the body exactly that long, so comparing the
    // number is enough; hono's streaming counter would build a full web Request per call.
    const declared = c.req.header('content-length')
    if (declared !== undefined && /^\d{1,15}$/.test(declared) && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > bytes) throw httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${bytes} bytes`, { limit_bytes: bytes })
      return next()
    }
    return (o === undefined ? fallback : limiterFor(o.bytes))(c, next)
  }
}
