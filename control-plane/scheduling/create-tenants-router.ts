import { createRoute, z } from '@hono/zod-openapi'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponse, idParamSchema } from '../../shared/wire/fleet-schemas.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { SchedulingRouterDeps } from './scheduling-deps.ts'
import { refuseTenantBound } from './refuse-tenant-bound.ts'
import { tenantJson } from './render-tenant.ts'
import { createTenantBodySchema, tenantDeletedSchema, tenantSchema, updateTenantBodySchema } from '../../shared/wire/tenant-schemas.ts'

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } })
const denied = { 401: errorResponse('Missing or invalid API key'), 403: errorResponse('Key lacks the scope, or is tenant-bound (FORBIDDEN)') }
const notFound = (id: number) => httpError('TENANT_NOT_FOUND', `no tenant with id ${id}`)

/**
 * Seed 003 "Tenant Management". Reading needs `read`; creating, changing and deleting need
 * `admin` and a key not bound to a tenant. A tenant-bound key lists only its own tenant and
 * gets 404 for any other id.
 */
export function createTenantsRouter (deps: SchedulingRouterDeps) {
  const { store, requireScope, now, log, scheduler } = deps
  const app = createRouter()

  app.openapi(createRoute({
    method: 'get', path: '/api/tenants', tags: ['tenants'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'List tenants with live GPU-in-use counts and running/queued job totals (seed 003). A tenant-bound key sees only its own.',
    responses: { 200: json(z.array(tenantSchema), 'Tenants by id'), ...denied },
  }), async (c) => {
    const own = c.var.principal.tenantId
    const tenants = await store.tenants.list(own === null ? {} : { id: own })
    return c.json(tenants.map(tenantJson), 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/tenants', tags: ['tenants'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Create a tenant with a GPU quota (admin, not tenant-bound). Names are unique.',
    request: body(createTenantBodySchema),
    responses: { 201: json(tenantSchema, 'Created'), 400: errorResponse('Invalid body'), 409: errorResponse('Name taken (TENANT_EXISTS)'), ...denied },
  }), async (c) => {
    refuseTenantBound(c.var.principal, 'create tenants')
    const b = c.req.valid('json')
    const tenant = await store.tenants.create({
      name: b.name, gpuQuota: b.gpu_quota, contactEmail: b.contact_email, planTier: b.plan_tier, status: b.status,
    }, now())
    if (tenant === null) throw httpError('TENANT_EXISTS', 'a tenant with this name already exists')
    log.info({ tenantId: tenant.id, gpuQuota: tenant.gpuQuota }, 'tenant created')
    return c.json(tenantJson(tenant), 201)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/tenants/{id}', tags: ['tenants'], security: API_KEY_SECURITY, middleware: [requireScope('read')] as const,
    description: 'One tenant with live usage. Another tenant\'s id answers 404 to a tenant-bound key.',
    request: { params: idParamSchema },
    responses: { 200: json(tenantSchema, 'The tenant'), 400: errorResponse('Bad id'), 404: errorResponse('No such tenant (TENANT_NOT_FOUND)'), ...denied },
  }), async (c) => {
    const id = Number(c.req.valid('param').id)
    const own = c.var.principal.tenantId
    const tenant = own !== null && own !== id ? null : await store.tenants.get(id)
    if (tenant === null) throw notFound(id)
    return c.json(tenantJson(tenant), 200)
  })

  app.openapi(createRoute({
    method: 'put', path: '/api/tenants/{id}', tags: ['tenants'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Update tenant fields (admin, not tenant-bound); only the fields sent change. A quota lowered below what the tenant ' +
      'runs preempts nothing: its new jobs wait (QUOTA) until usage drops. Quota and status changes take effect at the next cycle, run at once.',
    request: { params: idParamSchema, ...body(updateTenantBodySchema) },
    responses: {
      200: json(tenantSchema, 'Updated'), 400: errorResponse('Invalid id or body'), 404: errorResponse('No such tenant (TENANT_NOT_FOUND)'),
      409: errorResponse('Name taken (TENANT_EXISTS)'), ...denied,
    },
  }), async (c) => {
    refuseTenantBound(c.var.principal, 'change tenants or quotas')
    const id = Number(c.req.valid('param').id)
    const b = c.req.valid('json')
    const result = await store.tenants.update(id, {
      name: b.name, gpuQuota: b.gpu_quota, contactEmail: b.contact_email, planTier: b.plan_tier, status: b.status,
    }, now())
    if (!result.ok) {
      if (result.reason === 'name_taken') throw httpError('TENANT_EXISTS', 'a tenant with this name already exists')
      throw notFound(id)
    }
    if (b.gpu_quota !== undefined || b.status !== undefined) scheduler.poke('tenant_updated')
    log.info({ tenantId: id, fields: Object.keys(b) }, 'tenant updated')
    return c.json(tenantJson(result.tenant), 200)
  })

  app.openapi(createRoute({
    method: 'delete', path: '/api/tenants/{id}', tags: ['tenants'], security: API_KEY_SECURITY, middleware: [requireScope('admin')] as const,
    description: 'Delete a tenant (admin, not tenant-bound), in one transaction: its waiting jobs are cancelled (nobody is left to bill ' +
      'them), every job of it is unlinked (tenant_id = null, seed 003), running ones included (they keep running, for no tenant), then ' +
      'the tenant goes. Its GPU time up to the delete stays billable: POST /api/tenants/:id/invoice still works for the deleted id. Its ' +
      'invoices keep the tenant\'s name and drop the reference (billing); 409 TENANT_REFERENCED if any other record still points at it.',
    request: { params: idParamSchema },
    responses: {
      200: json(tenantDeletedSchema, 'Deleted'), 400: errorResponse('Bad id'), 404: errorResponse('No such tenant (TENANT_NOT_FOUND)'),
      409: errorResponse('Referenced (TENANT_REFERENCED)'), ...denied,
    },
  }), async (c) => {
    refuseTenantBound(c.var.principal, 'delete tenants')
    const id = Number(c.req.valid('param').id)
    let result = await store.tenants.delete(id, now())
    if (!result.ok && result.reason === 'referenced') {
      // Invoices point at it: billing keeps their tenant_name snapshot and lets go (its own
      // table, its own transaction), then the delete is tried once more. Only reached when
      // the delete was otherwise ready to go, so invoices are not unlinked for nothing.
      await store.billing.unlinkTenant(id)
      result = await store.tenants.delete(id, now())
    }
    if (!result.ok) {
      if (result.reason === 'referenced') throw httpError('TENANT_REFERENCED', `other records (such as invoices) still refer to tenant ${id}`)
      throw notFound(id)
    }
    log.info({ tenantId: id, jobsUnlinked: result.unlinkedJobs, jobsCancelled: result.cancelledJobs }, 'tenant deleted')
    return c.json({ id, deleted: true as const, jobs_unlinked: result.unlinkedJobs, jobs_cancelled: result.cancelledJobs }, 200)
  })

  return app
}
