import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { INTROSPECT_PATH, SCOPES, introspectRequestSchema, type IntrospectResponse } from '../../shared/wire/introspect.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { Store } from '../store/store.ts'
import { LAST_USED_RESOLUTION_MS } from '../store/api-key-repository.ts'
import type { FailureLimiter } from './create-failure-limiter.ts'
import { verifyApiKey } from './verify-api-key.ts'
import { clientAddress as socketAddress } from '../../shared/client-address.ts'

export interface IntrospectRouterDeps {
  store: Pick<Store, 'apiKeys'>
  requireScope: RequireScope
  /**
   * Inactive answers per calling key and address (one agent host): agents relay whatever
   * operators (or attackers) send them. Active answers never touch it.
   */
  limiter: FailureLimiter
  /** The calling agent's address (default: the socket's remote address; --trust-proxy: the proxy's view). */
  clientAddress?: (c: Context) => string
  now?: () => number
}

const IntrospectResponseSchema = z.object({
  active: z.boolean(),
  scopes: z.array(z.enum(SCOPES)),
  key_id: z.number().int().nullable(),
  tenant_id: z.number().int().nullable(),
}).openapi('IntrospectResponse')

const introspect = createRoute({
  method: 'post',
  path: INTROSPECT_PATH,
  tags: ['API Keys'],
  summary: 'Whether a presented key is valid, and its scopes (ingest scope: agents)',
  description: 'An unknown or revoked key is 200 {active:false}: the caller is authenticated, only the presented key is not.',
  security: API_KEY_SECURITY,
  request: { body: { required: true, content: { 'application/json': { schema: introspectRequestSchema.strict() } } } },
  responses: {
    200: { description: 'The verdict', content: { 'application/json': { schema: IntrospectResponseSchema } } },
    ...errorResponses(400, 401, 403, 413, 415, 429),
  },
})

const INACTIVE: IntrospectResponse = { active: false, scopes: [], key_id: null, tenant_id: null }

/**
 * POST /api/auth/introspect (shared/wire/introspect.ts). The presented key is checked first:
 * an active key is always answered (a valid operator key works on every agent, however many
 * guesses other agents relayed). Inactive verdicts do not drain the caller's per-address auth
 * limiter (the caller's own key is fine); they drain a bucket per calling key and address,
 * i.e. per agent host, so one agent flooded with guesses cannot be used as an unbounded
 * guessing oracle, nor use up the budget of the other agents sharing its cluster's key.
 */
export function createIntrospectRouter (deps: IntrospectRouterDeps) {
  const { store, requireScope, limiter, now = Date.now, clientAddress = socketAddress } = deps
  const router = createRouter()

  router.openapi({ ...introspect, middleware: [requireScope('ingest')] }, async c => {
    const record = await verifyApiKey(store.apiKeys, c.req.valid('json').key)
    if (record === null) {
      const bucket = `key:${c.var.principal.keyId ?? 'none'}@${clientAddress(c)}`
      const wait = limiter.retryAfterMs(bucket)
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)))
        throw httpError('TOO_MANY_AUTH_FAILURES', 'too many inactive keys introspected by this agent; retry later', { retry_after_s: Math.ceil(wait / 1000) })
      }
      limiter.fail(bucket)
      return c.json(INACTIVE, 200)
    }
    // The key is in use (at an agent's operator API): keep last_used_at honest.
    const at = now()
    // Best effort: a busy store must not turn a valid verdict into a 500.
    if (record.lastUsedAt === null || at - record.lastUsedAt >= LAST_USED_RESOLUTION_MS) await store.apiKeys.touchLastUsed(record.id, at).catch(() => false)
    const verdict: IntrospectResponse = { active: true, scopes: record.permissions, key_id: record.id, tenant_id: record.tenantId }
    return c.json(verdict, 200)
  })

  return router
}
