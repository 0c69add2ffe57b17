import type { Context } from 'hono'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { RequireScope } from '../http/cp-env.ts'

/**
 * What a tenant-bound key may do on a route (DESIGN.md: "a tenant key sees only its tenant"):
 * - `own`: allowed; the handler narrows the answer to the key's tenant (another tenant's id
 *   answers 404 exactly like an unknown one, so a key cannot probe which tenants exist);
 * - `shared`: allowed; the answer is the same for every caller and names no tenant;
 * - `deny`: 403 FORBIDDEN whatever id it names (fleet-wide infrastructure, operator money and
 *   configuration, admin analytics, the agents' ingest lane);
 * - `public`: no authentication at all;
 * - `console`: the console's session-only proxies (seed 001's /api/analytics/*): any API key is
 *   refused 401 SESSION_REQUIRED before this table is read; a tenant-bound session is refused as
 *   `deny` is.
 */
export type TenantAccess = 'own' | 'shared' | 'deny' | 'public' | 'console'

export interface TenantRule {
  access: TenantAccess
  why: string
}

const own = (why: string): TenantRule => ({ access: 'own', why })
const deny = (why: string): TenantRule => ({ access: 'deny', why })
const consoleOnly = (why: string): TenantRule => ({ access: 'console', why })

const FLEET = 'fleet-wide infrastructure (topology, hostnames, capacity)'
const AGENT = 'the agents\' ingest lane: a tenant key never writes fleet data'
const ANALYTICS = 'admin analytics over every tenant'

/**
 * Every API route, keyed `METHOD /openapi/path`. One table so a reviewer reads the whole policy
 * at once; test/control-plane/tenant-policy.test.ts fails for a route missing here, and a route
 * missing here is refused to tenant-bound keys at run time (fail closed).
 */
export const TENANT_POLICY: Readonly<Record<string, TenantRule>> = Object.freeze({
  'GET /healthz': { access: 'public', why: 'readiness probe' },
  'POST /api/api-keys': own('mints keys bound to its own tenant only'),
  'GET /api/api-keys': own('its own tenant\'s keys'),
  'DELETE /api/api-keys/{id}': own('revokes its own tenant\'s keys; others 404'),
  'POST /api/auth/introspect': { access: 'shared', why: 'answers only about the key presented' },
  'POST /api/nodes/{id}/operator-token': deny('operator tokens act on node-global, multi-tenant GPU state (seed 004)'),

  'GET /api/clusters': deny(FLEET),
  'POST /api/clusters': deny(FLEET),
  'GET /api/clusters/{id}': deny(FLEET),
  'PATCH /api/clusters/{id}': deny(FLEET),
  'POST /api/clusters/nodes': deny(AGENT),
  'POST /api/clusters/gpus': deny(AGENT),
  'POST /api/clusters/metrics': deny(AGENT),
  'POST /api/nodes/{id}/drain': deny(FLEET),
  'POST /api/nodes/{id}/resume': deny(FLEET),
  'DELETE /api/nodes/{id}': deny(FLEET),
  'GET /api/nodes/{id}/gpu-history': deny(FLEET),
  'GET /api/prometheus/targets': deny(FLEET),
  'GET /v1/regions': deny(FLEET),
  'GET /v1/route': deny(FLEET),

  'POST /api/gpu-stats': deny(AGENT),
  'POST /api/agent/processes': deny(AGENT),
  'GET /api/gpu-stats': own('only the GPUs its running jobs hold now'),
  'GET /api/gpu-stats/power-history': deny('rollups are per node, cluster or fleet and cannot be narrowed to its GPUs'),

  'GET /api/rates': { access: 'shared', why: 'the public rate card it is billed at' },
  'PUT /api/rates/{gpu_type}': deny('rates are the operator\'s'),
  'POST /api/tenants/{id}/invoice': own('invoices its own tenant (idempotent per period); others 404'),
  'GET /api/invoices/{id}': own('its own invoices; others 404'),
  'PATCH /api/invoices/{id}/status': deny('invoice status is the operator\'s'),
  'GET /api/billing/summary': own('its own invoices'),
  'GET /api/tenants/{id}/usage': own('its own usage; others 404'),
  'GET /api/dashboard/revenue': own('its own spend; unattributed usage is left out'),

  'GET /v1/history': deny(ANALYTICS),
  'GET /v1/history/benchmarks': deny(ANALYTICS),
  'GET /v1/history/training': deny(ANALYTICS),
  'GET /v1/history/compute': deny(ANALYTICS),
  'GET /v1/history/inference': deny(ANALYTICS),
  'GET /v1/history/endpoints': deny(ANALYTICS),
  'GET /v1/history/serving': deny(ANALYTICS),
  'GET /v1/history/summary': deny(ANALYTICS),
  'GET /admin/worker-events': deny(ANALYTICS),
  'GET /v1/global-env': deny('global settings are the operator\'s'),
  'PUT /v1/global-env/{key}': deny('global settings are the operator\'s'),
  'POST /v1/inference/records': deny('serving layers report for every tenant'),
  'PUT /v1/endpoints/{name}': deny('serving layers report for every tenant'),
  'DELETE /v1/endpoints/{name}': deny('serving layers report for every tenant'),
  'GET /api/analytics/gpuplatform': consoleOnly(ANALYTICS),
  'GET /api/analytics/slurm': consoleOnly(ANALYTICS),
  'GET /api/analytics/aliases': consoleOnly('global settings are the operator\'s'),
  'PUT /api/analytics/aliases': consoleOnly('global settings are the operator\'s'),
  'GET /api/analytics/worker-events': consoleOnly(ANALYTICS),

  'GET /api/alerts/rules': deny('alert rule configuration is the operator\'s'),
  'PATCH /api/alerts/rules/{id}': deny('alert rule configuration is the operator\'s'),
  'GET /api/alerts/events': own('alerts about its own tenant (quota, idle GPUs it holds)'),
  'POST /api/alerts/events/{id}/silence': deny('silencing alerts is the operator\'s'),

  'GET /api/dashboard/kpis': deny('fleet-wide KPIs'),
  'GET /api/dashboard': deny('fleet overview'),
  'GET /api/dashboard/leakage': own('findings about its own jobs and invoices'),

  'GET /api/tenants': own('lists its own tenant only'),
  'POST /api/tenants': deny('tenants and quotas are the operator\'s'),
  'GET /api/tenants/{id}': own('its own tenant; others 404'),
  'PUT /api/tenants/{id}': deny('tenants and quotas are the operator\'s'),
  'DELETE /api/tenants/{id}': deny('tenants and quotas are the operator\'s'),
  'POST /api/jobs': own('submits for its own tenant only'),
  'GET /api/jobs': own('its own jobs'),
  'GET /api/jobs/{id}': own('its own jobs; others 404'),
  'PATCH /api/jobs/{id}': own('cancels or completes its own jobs (no operator transitions); others 404'),
  'GET /api/scheduler/logs': deny('the fleet-wide scheduler log'),
  'GET /api/dashboard/scheduling-metrics': own('counts over its own jobs'),
  'GET /api/dashboard/gpu-allocation': own('only GPUs its own jobs hold'),

  'GET /api/agent/assignments': deny(AGENT),
  'POST /api/agent/jobs/{id}/events': deny(AGENT),
  'GET /api/jobs/{id}/logs': own('its own jobs\' logs; others 404'),
  'POST /api/agent/jobs/{id}/logs': deny(AGENT),
})

/** `/api/jobs/:id` (Hono) → `/api/jobs/{id}` (OpenAPI), the table's form. */
export function policyKey (method: string, routePath: string): string {
  const m = method.toUpperCase()
  return `${m === 'HEAD' ? 'GET' : m} ${routePath.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`
}

export function tenantRule (method: string, routePath: string, policy: Readonly<Record<string, TenantRule>> = TENANT_POLICY): TenantRule | undefined {
  return policy[policyKey(method, routePath)]
}

/** The one refusal of a tenant-bound key; `details.tenant_bound` tells it from a missing scope. */
export function tenantForbidden (what: string): HttpError {
  return httpError('FORBIDDEN', `a tenant-bound key cannot ${what}`, { tenant_bound: true })
}

/**
 * Wraps the RequireScope every router takes: once the caller is authenticated and holds the
 * scope, a tenant-bound principal passes only routes the table marks `own` or `shared`. Routers
 * still narrow `own` answers themselves; this is the gate that keeps a route nobody decided on
 * (or a `deny` one) closed, before any body is read.
 */
export function withTenantPolicy (requireScope: RequireScope, policy: Readonly<Record<string, TenantRule>> = TENANT_POLICY): RequireScope {
  return scope => {
    const inner = requireScope(scope)
    return async function tenantPolicyMiddleware (c, next) {
      return inner(c, async () => {
        enforce(c, policy)
        await next()
      })
    }
  }
}

function enforce (c: Context, policy: Readonly<Record<string, TenantRule>>): void {
  if (c.get('principal')?.tenantId === null) return
  const rule = tenantRule(c.req.method, c.req.routePath, policy)
  if (rule === undefined) throw tenantForbidden(`use ${policyKey(c.req.method, c.req.routePath)} (no tenancy decision)`)
  if (rule.access === 'deny' || rule.access === 'console') throw tenantForbidden(`use ${policyKey(c.req.method, c.req.routePath)}: ${rule.why}`)
}
