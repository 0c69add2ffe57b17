import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { HttpError, errorBody } from './http-error.ts'
import type { ErrorCode } from './error-codes.ts'
import type { Logger } from './logger.ts'

export type ErrorLogger = Pick<Logger, 'error'>

/**
 * Hono `onError` for both servers: an HttpError renders as itself, Hono's own
 * HTTPException (body limit, malformed JSON) keeps its status with a stable code,
 * anything else is logged and becomes a generic 500 that leaks nothing.
 */
export function createOnError (log: ErrorLogger) {
  return function onError (err: Error, c: Context) {
    if (err instanceof HttpError) {
      return c.json(errorBody(err.status, err.code, err.message, err.details), err.status as ContentfulStatusCode)
    }
    if (err instanceof HTTPException) {
      const status = err.status
      const code: ErrorCode | `HTTP_${number}` = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : `HTTP_${status}`
      return c.json(errorBody(status, code, err.message || 'request rejected'), status as ContentfulStatusCode)
    }
    log.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error')
    return c.json(errorBody(500, 'INTERNAL', 'internal error'), 500)
  }
}

export function notFound (c: Context) {
  return c.json(errorBody(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404)
}
