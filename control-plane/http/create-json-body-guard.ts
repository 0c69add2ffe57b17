import type { MiddlewareHandler } from 'hono'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH'])

/**
 * Every control-plane body is JSON. A POST/PUT/PATCH whose body is not (by Content-Type, or
 * a non-empty body with none) → 415 UNSUPPORTED_MEDIA_TYPE, before auth or validation reads
 * it. 415 rather than 400: the body may be fine, only its declared type is wrong, and
 * clients (curl -d without -H) fix it differently. A POST with no body passes to the
 * route's validator, which answers 400 for a missing required body.
 */
export interface JsonBodyGuardOptions {
  /** Exact paths that also take HTML form bodies (the console's login and logout forms). */
  formPaths?: readonly string[]
  /** Paths (patterns) that take application/octet-stream besides JSON (agents' job log chunks). */
  rawPaths?: readonly RegExp[]
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i
const RAW_TYPE = /^application\/octet-stream\s*(;|$)/i

export function createJsonBodyGuard (options: JsonBodyGuardOptions = {}): MiddlewareHandler {
  const formPaths = new Set(options.formPaths ?? [])
  const rawPaths = options.rawPaths ?? []
  return async function jsonBodyGuard (c, next) {
    if (!WITH_BODY.has(c.req.method)) return next()
    const type = c.req.header('content-type')
    if (type !== undefined && type.trim() !== '') {
      if (!JSON_TYPE.test(type) && !(FORM_TYPE.test(type) && formPaths.has(c.req.path)) &&
        !(RAW_TYPE.test(type) && rawPaths.some(p => p.test(c.req.path)))) throw unsupported(type)
      return next()
    }
    const length = c.req.header('content-length')
    const hasBody = length !== undefined
      ? Number(length) > 0
      : c.req.raw.body !== null && (await c.req.arrayBuffer()).byteLength > 0
    if (hasBody) throw unsupported(undefined)
    return next()
  }
}

function unsupported (type: string | undefined): HttpError {
  return httpError('UNSUPPORTED_MEDIA_TYPE',
    type === undefined ? 'request body needs Content-Type: application/json' : 'request body must be application/json',
    type === undefined ? undefined : { content_type: type.slice(0, 100) })
}
