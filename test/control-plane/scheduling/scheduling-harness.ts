import type { Test } from 'tap'
import { createControlPlane } from '../../../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { bootstrapAdminKey } from '../../../control-plane/auth/bootstrap-admin-key.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import { createTenantsRouter } from '../../../control-plane/scheduling/create-tenants-router.ts'
import { createJobsRouter } from '../../../control-plane/scheduling/create-jobs-router.ts'
import { createSchedulingDashboardRouter } from '../../../control-plane/scheduling/create-scheduling-dashboard-router.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'
import { fakeClock, T0 } from '../fleet/fleet-harness.ts'
import { addCluster, refreshReadings, type NodeSpec } from './fleet-fixture.ts'
import { createInvariantChecker } from './invariant-checker.ts'

export { T0 }

export interface Res { status: number, body: any, text: string }

export interface LogLine { level: string, obj: object, msg: string }

/**
 * The three scheduling routers inside the real control plane (real API keys and auth, body
 * limit, JSON guard, error handler) on an in-memory store, with a started scheduler on a
 * hand-driven clock: a cycle runs only when the test advances time or calls runCycle. The
 * invariant checker runs after every cycle.
 */
export async function schedulingHarness (t: Test, opts: { debounceMs?: number, staleAfterMs?: number } = {}) {
  const clock = fakeClock()
  const store = await openSqliteStore(':memory:')
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }) }
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
  const checker = createInvariantChecker(store)
  const scheduler = createScheduler({
    store, now: clock.now, log, timers: clock.timers, debounceMs: opts.debounceMs ?? 200, staleAfterMs: opts.staleAfterMs ?? 60_000,
    onCycle: () => checker.check(),
  })
  const app = createControlPlane({
    store,
    log,
    config: parseControlPlaneConfig({ db: ':memory:' }),
    now: clock.now,
    routers: [
      { path: '/', router: ctx => createTenantsRouter({ ...ctx, scheduler }) },
      { path: '/', router: ctx => createJobsRouter({ ...ctx, scheduler }) },
      { path: '/', router: ctx => createSchedulingDashboardRouter(ctx) },
    ],
  })
  const boot = await bootstrapAdminKey(store, undefined, clock.now)
  const root = boot.key as string
  scheduler.start()
  t.teardown(async () => {
    await scheduler.stop()
    await store.close()
  })

  async function req (method: string, path: string, o: { key?: string | null, body?: unknown, raw?: string } = {}): Promise<Res> {
    const headers: Record<string, string> = {}
    const key = o.key === undefined ? root : o.key
    if (key !== null) headers.authorization = `Bearer ${key}`
    let body: string | undefined
    if (o.raw !== undefined) body = o.raw
    else if (o.body !== undefined) body = JSON.stringify(o.body)
    if (body !== undefined) headers['content-type'] = 'application/json'
    const env = { incoming: { socket: { remoteAddress: '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env)
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed, text }
  }

  async function mint (permissions: Scope[], tenantId: number | null = null): Promise<string> {
    const res = await req('POST', '/api/api-keys', { body: { label: `k-${permissions.join('-')}-${tenantId ?? 'fleet'}`, permissions, ...(tenantId === null ? {} : { tenant_id: tenantId }) } })
    if (res.status !== 201) throw new Error(`mint failed: ${res.status} ${res.text}`)
    return res.body.key as string
  }

  /** Lets timers' async work (a cycle, its check) finish. */
  const idle = async () => { for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve)) }

  return {
    app,
    store,
    clock,
    lines,
    root,
    scheduler,
    checker,
    req,
    mint,
    idle,
    cluster: (name: string, nodes: NodeSpec[]) => addCluster(store, name, nodes, clock.now()),
    refresh: (busy?: ReadonlyMap<number, number>) => refreshReadings(store, clock.now(), busy),
    tenant: async (name: string, gpuQuota: number, extra: Record<string, unknown> = {}) => {
      const res = await req('POST', '/api/tenants', { body: { name, gpu_quota: gpuQuota, ...extra } })
      if (res.status !== 201) throw new Error(`tenant failed: ${res.status} ${res.text}`)
      return res.body.id as number
    },
    submit: async (body: Record<string, unknown>, key?: string) => req('POST', '/api/jobs', { body, ...(key === undefined ? {} : { key }) }),
    job: async (id: number) => (await req('GET', `/api/jobs/${id}`)).body,
    /** Fires the debounced cycle a poke asked for. */
    settle: async (ms = opts.debounceMs ?? 200) => { await clock.advance(ms); await idle() },
  }
}
