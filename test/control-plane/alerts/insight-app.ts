import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { createAlertsRouter } from '../../../control-plane/alerts/create-alerts-router.ts'
import { createAlertsLoop } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { createDashboardRouter } from '../../../control-plane/dashboards/create-dashboard-router.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { memoryLog, routerApp, scopedRequest, testRequireScope } from '../router-harness.ts'
import { fleetBuilder, openInsightStore } from '../store/insight-fixture.ts'
import { NOW } from './alerts-harness.ts'

/** The alerts and dashboard routers on one app as the lead mounts them, plus the loop, on a real store. */
export async function insightApp (t: Test, options: { allowPrivateWebhooks?: boolean } = {}) {
  // A directory of its own, removed once the loop stopped and the store closed (tap's testdir
  // removal could run first: ENOTEMPTY, then a file that never ended).
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-insight-'))
  const { store, rows, close } = await openInsightStore(join(dir, 'gpufleet.db'))
  const clock = fakeClock(NOW)
  const { lines, log } = memoryLog()
  const loop = createAlertsLoop({ store, now: clock.now, log, timers: clock.timers, webhook: false })
  t.teardown(async () => { await loop.stop(); await close(); rmSync(dir, { recursive: true, force: true, maxRetries: 5 }) })
  // Tests name loopback receivers: allowed here (as --alert-webhook-allow-private) unless a test says otherwise.
  const app = routerApp(log, [
    createAlertsRouter({ store, requireScope: testRequireScope, now: clock.now, log, allowPrivateWebhooks: options.allowPrivateWebhooks ?? true }),
    createDashboardRouter({ store, requireScope: testRequireScope, now: clock.now, log }),
  ], { jsonGuard: true })

  const request = (method: string, path: string, opts: { body?: unknown, raw?: string, auth?: string, type?: string } = {}) =>
    scopedRequest(app, method, path, opts.auth ?? 'superadmin', { ...opts, ...(opts.type === undefined ? {} : { headers: { 'content-type': opts.type } }) })
  /** Everything the alerts and dashboards could write, to prove a rejected request wrote nothing. */
  const snapshot = async () => JSON.stringify([
    await store.alerts.listRules(), await store.alerts.listEvents({ limit: 100 }), await store.alerts.listDeliveries(),
    ['tenants', 'jobs', 'job_gpus', 'invoices', 'rates', 'gpus', 'nodes'].map(rows.count),
  ])
  return {
    store, rows, clock, lines, loop, app, fleet: fleetBuilder(store), snapshot,
    get: (path: string, auth?: string) => request('GET', path, { auth }),
    patch: (path: string, body: unknown, auth?: string) => request('PATCH', path, { body, auth }),
    request,
  }
}
