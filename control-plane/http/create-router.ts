import { OpenAPIHono } from '@hono/zod-openapi'
import { httpError } from '../../shared/error-codes.ts'
import type { CpEnv } from './cp-env.ts'

/**
 * Every router is an OpenAPIHono so the schemas that validate requests also generate
 * /openapi.json. A failed validation becomes the one error shape (400 VALIDATION_FAILED)
 * naming each bad field; nothing reaches the handler, so nothing is written.
 */
export function createRouter () {
  return new OpenAPIHono<CpEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map(i => ({ path: i.path.join('.'), message: i.message }))
        const first = issues[0]
        const message = first === undefined ? 'invalid request' : `${first.path === '' ? 'request' : first.path}: ${first.message}`
        throw httpError('VALIDATION_FAILED', message, { issues })
      }
    },
  })
}
