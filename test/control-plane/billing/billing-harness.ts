import { createBillingRouter, type BillingRouterDeps } from '../../../control-plane/billing/create-billing-router.ts'
import { memoryLog, routerApp, scopedRequest, testRequireScope } from '../router-harness.ts'
import { openBillingStore } from './billing-fixtures.ts'

/** 2026-05-10 15:20:00.000 UTC: mid-day, so today's bucket and the invoice period's end differ. */
export const NOW = Date.UTC(2026, 4, 10, 15, 20)
export const at = (iso: string): number => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`bad test time ${iso}`)
  return ms
}

export type HarnessOptions = Pick<BillingRouterDeps, 'payments' | 'paymentLinkClaimMs'> & { path?: string }

/** The billing router as the lead mounts it (JSON body guard, one error shape), on a fresh store, with an injected clock. */
export function billingHarness (opts: HarnessOptions = {}) {
  const { store, db, fixtures } = openBillingStore(opts.path)
  let clock = NOW
  const now = () => clock
  const { lines, log } = memoryLog()
  const app = routerApp(log, [createBillingRouter({ store, requireScope: testRequireScope, now, log, payments: opts.payments, paymentLinkClaimMs: opts.paymentLinkClaimMs })], { jsonGuard: true })
  const request = (method: string, path: string, o: { body?: unknown, raw?: string, scopes?: string, headers?: Record<string, string> } = {}) =>
    scopedRequest(app, method, path, o.scopes ?? 'admin', o)

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
