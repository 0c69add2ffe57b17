import { createRoute, z } from '@hono/zod-openapi'
import { SCOPES, type Scope } from '../../shared/wire/introspect.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import type { Store } from '../store/store.ts'
import { mintApiKey } from './mint-api-key.ts'
import { ApiKeyIdParam, ApiKeySchema, CreateApiKeyBody, CreatedApiKeySchema, DEFAULT_PERMISSIONS } from '../../shared/wire/api-key-schemas.ts'
import { apiKeyToWire, createdApiKeyToWire } from './render-api-key.ts'

export interface ApiKeysRouterDeps {
  /** The fleet: to check that a cluster_id to bind a key to exists. */
  store: Pick<Store, 'apiKeys'> & Partial<Pick<Store, 'sessions' | 'fleet'>>
  requireScope: RequireScope
  now?: () => number
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

const createKey = createRoute({
  method: 'post',
  path: '/api/api-keys',
  tags: ['API Keys'],
  summary: 'Generate an API key; the raw gfk_… key is returned once',
  description: '201 Created (a new resource). Needs admin; only a superadmin may grant superadmin; a tenant-bound caller mints keys for its own tenant only. ' +
    'cluster_id binds an agent key (["ingest"]) to one cluster (404 CLUSTER_NOT_FOUND for an unknown one); without it an ingest key is unbound.',
  security: API_KEY_SECURITY,
  request: { body: { required: true, content: { 'application/json': { schema: CreateApiKeyBody } } } },
  responses: { 201: json(CreatedApiKeySchema, 'The new key, raw key included (shown once)'), ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
})

const listKeys = createRoute({
  method: 'get',
  path: '/api/api-keys',
  tags: ['API Keys'],
  summary: 'List API keys (prefix, permissions, last use; never the key)',
  security: API_KEY_SECURITY,
  responses: { 200: json(z.array(ApiKeySchema), 'Keys by id, revoked ones included (audit trail)'), ...errorResponses(401, 403, 429) },
})

const revokeKey = createRoute({
  method: 'delete',
  path: '/api/api-keys/{id}',
  tags: ['API Keys'],
  summary: 'Revoke an API key (soft delete; 401 from the next request on)',
  description: 'Idempotent: revoking a revoked key answers 200 with its original revoked_at. 409 LAST_SUPERADMIN if it is the last active superadmin key.',
  security: API_KEY_SECURITY,
  request: { params: ApiKeyIdParam },
  responses: { 200: json(ApiKeySchema, 'The revoked key'), ...errorResponses(400, 401, 403, 404, 409, 429) },
})

/** Seed 003 "API Keys": POST/GET /api/api-keys, DELETE /api/api-keys/:id, all admin-scoped. */
export function createApiKeysRouter (deps: ApiKeysRouterDeps) {
  const { store, requireScope, now = Date.now } = deps
  const router = createRouter()

  router.openapi({ ...createKey, middleware: [requireScope('admin')] }, async c => {
    const caller = c.var.principal
    const body = c.req.valid('json')
    const clusterId = body.cluster_id ?? null
    // A cluster-bound key is an agent key: ingest only (the default when binding).
    const permissions = canonical(body.permissions ?? (clusterId === null ? DEFAULT_PERMISSIONS : ['ingest']))
    let tenantId = body.tenant_id ?? null
    if (caller.tenantId !== null) {
      if (tenantId !== null && tenantId !== caller.tenantId) {
        throw httpError('FORBIDDEN', 'a tenant-bound key may only create keys for its own tenant')
      }
      tenantId = caller.tenantId
    }
    if (permissions.includes('superadmin')) {
      if (!caller.scopes.includes('superadmin')) throw httpError('FORBIDDEN', "only a superadmin key may grant the 'superadmin' scope", { required_scope: 'superadmin' })
      if (tenantId !== null) throw httpError('VALIDATION_FAILED', 'permissions: a superadmin key cannot be tenant-bound')
    }
    if (clusterId !== null) {
      if (permissions.length !== 1 || permissions[0] !== 'ingest') {
        throw httpError('VALIDATION_FAILED', 'permissions: a cluster-bound key is an agent key and has exactly ["ingest"]',
          { issues: [{ path: 'permissions', message: 'must be ["ingest"] with cluster_id' }] })
      }
      if (tenantId !== null) throw httpError('VALIDATION_FAILED', 'cluster_id: a tenant-bound key cannot be cluster-bound')
      if (store.fleet === undefined || await store.fleet.getCluster(clusterId) === null) {
        throw httpError('CLUSTER_NOT_FOUND', `no cluster with id ${clusterId}`)
      }
    }
    const { key, record } = await mintApiKey(store.apiKeys, { label: body.label, permissions, tenantId, clusterId, createdByKeyId: caller.keyId, createdAt: now() })
    return c.json(createdApiKeyToWire(record, key), 201)
  })

  router.openapi({ ...listKeys, middleware: [requireScope('admin')] }, async c => {
    const caller = c.var.principal
    const keys = await store.apiKeys.list(caller.tenantId === null ? {} : { tenantId: caller.tenantId })
    return c.json(keys.map(apiKeyToWire), 200)
  })

  router.openapi({ ...revokeKey, middleware: [requireScope('admin')] }, async c => {
    const caller = c.var.principal
    const id = Number(c.req.valid('param').id)
    const target = await store.apiKeys.findById(id)
    // Another tenant's key answers as unknown: its existence is not the caller's business.
    if (target === null || (caller.tenantId !== null && target.tenantId !== caller.tenantId)) throw notFound(id)
    if (target.permissions.includes('superadmin') && !caller.scopes.includes('superadmin')) {
      throw httpError('FORBIDDEN', "only a superadmin key may revoke a superadmin key", { required_scope: 'superadmin' })
    }
    const result = await store.apiKeys.revoke(id, now())
    switch (result.status) {
      case 'not-found': throw notFound(id)
      case 'last-superadmin':
        throw httpError('LAST_SUPERADMIN', 'this is the last active superadmin key; create another superadmin key before revoking it')
      default:
        // The auth path already refuses a revoked key's sessions; this drops their rows.
        await store.sessions?.deleteForKey(id)
        return c.json(apiKeyToWire(result.key), 200)
    }
  })

  return router
}

function canonical (permissions: readonly Scope[]): Scope[] {
  return SCOPES.filter(s => permissions.includes(s))
}

function notFound (id: number): HttpError {
  return httpError('NOT_FOUND', `no API key with id ${id}`)
}
