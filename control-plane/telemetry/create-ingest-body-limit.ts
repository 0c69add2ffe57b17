import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { httpError } from '../../shared/error-codes.ts'

/**
 * 413 PAYLOAD_TOO_LARGE over `maxBytes`. A body with Content-Length (every agent push) is
 * judged by the header alone, since Node's parser frames the body to exactly that length;
 * only chunked bodies go through hono's bodyLimit, which counts while streaming. Why not
 * bodyLimit for all: on @hono/node-server it turns the light request into a full web
 * Request with a ReadableStream body, ~20-30 µs a request on the 5,000 pushes/s path.
 */
export function createIngestBodyLimit (maxBytes: number): MiddlewareHandler {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`createIngestBodyLimit: maxBytes must be a positive integer, got ${maxBytes}`)
  const tooLarge = () => httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { limit_bytes: maxBytes })
  const streaming = bodyLimit({ maxSize: maxBytes, onError: () => { throw tooLarge() } })
  return async function ingestBodyLimit (c, next) {
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxBytes) throw tooLarge()
      return next()
    }
    return streaming(c, next)
  }
}
