import type { MiddlewareHandler } from 'hono'
import { hasScope, type Principal } from '../../../control-plane/auth/principal.ts'
import { createBillingRouter, type BillingRouterDeps } from '../../../control-plane/billing/create-billing-router.ts'
import type { CpEnv, RequireScope } from '../../../control-plane/http/cp-env.ts'
import { createJsonBodyGuard } from '../../../control-plane/http/create-json-body-guard.ts'
import { createRouter } from '../../../control-plane/http/create-router.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { SCOPES, type Scope } from '../../../shared/wire/introspect.ts'
import { openBillingStore } from './billing-fixtures.ts'

/** 2026-05-10 15:20:00.000 UTC: mid-day, so today's bucket and the invoice period's end differ. */
export const NOW = Date.UTC(2026, 4, 10, 15, 20)
export const at = (iso: string): number => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`bad test time ${iso}`)
  return ms
}

/**
 * The test's auth: `Authorization: Bearer scopes:read,write` grants those scopes, and
 * `Bearer scopes:admin;tenant:2` binds the key to tenant 2. No header is 401, a missing scope
 * 403. Real keys are the auth module's business and tested there.
 */
export const testRequireScope: RequireScope = (needed: Scope): MiddlewareHandler<CpEnv> => async (c, next) => {
  const m = /^Bearer scopes:([a-z,]*)(?:;tenant:([0-9]+))?$/.exec(c.req.header('authorization') ?? '')
  if (m === null) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid API key')
  const scopes = (m[1] ?? '').split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
  const principal: Principal = { keyId: 1, scopes, tenantId: m[2] === undefined ? null : Number(m[2]), via: 'api-key' }
  if (!hasScope(principal, needed)) throw new HttpError(403, 'FORBIDDEN', `requires the ${needed} scope`)
  c.set('principal', principal)
  await next()
}

export function memoryLog () {
  const lines: Array<{ level: string, obj: any, msg: string }> = []
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }) }
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } }
}

export type HarnessOptions = Pick<BillingRouterDeps, 'payments' | 'paymentLinkClaimMs'> & { path?: string }

/** The billing router as the lead mounts it (JSON body guard, one error shape), on a fresh store, with an injected clock. */
export function billingHarness (opts: HarnessOptions = {}) {
  const { store, db, fixtures } = openBillingStore(opts.path)
  let clock = NOW
  const now = () => clock
  const { lines, log } = memoryLog()
  const app = createRouter()
  app.onError(createOnError(log))
  app.notFound(notFound)
  app.use('*', createJsonBodyGuard())
  app.route('/', createBillingRouter({ store, requireScope: testRequireScope, now, log, payments: opts.payments, paymentLinkClaimMs: opts.paymentLinkClaimMs }))

  const request = async (method: string, path: string, o: { body?: unknown, raw?: string, scopes?: string, headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...o.headers }
    const scopes = o.scopes ?? 'admin'
    if (scopes !== '') headers.authorization = `Bearer scopes:${scopes}`
    if ((o.body !== undefined || o.raw !== undefined) && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
    const res = await app.request(path, { method, headers, body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)) })
    const text = await res.text()
    let json: any
    try { json = JSON.parse(text) } catch { json = text }
    return { status: res.status, body: json }
  }

  /** Everything billing writes, to prove a rejected request wrote nothing. */
  const snapshot = () => JSON.stringify([
    db.raw.prepare('SELECT * FROM rates ORDER BY gpu_type').all(),
    db.raw.prepare('SELECT * FROM invoices ORDER BY id').all(),
  ])

  return {
    store,
    db,
    fixtures,
    app,
    lines,
    now,
    setNow: (ms: number) => { clock = ms },
    request,
    get: (path: string, scopes?: string) => request('GET', path, scopes === undefined ? {} : { scopes }),
    post: (path: string, scopes?: string) => request('POST', path, scopes === undefined ? {} : { scopes }),
    put: (path: string, body: unknown, scopes?: string) => request('PUT', path, { body, ...(scopes === undefined ? {} : { scopes }) }),
    patch: (path: string, body: unknown, scopes?: string) => request('PATCH', path, { body, ...(scopes === undefined ? {} : { scopes }) }),
    snapshot,
    close: () => store.close(),
  }
}
