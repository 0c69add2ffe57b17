import type { Test } from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import { createTenantsRouter } from '../../../control-plane/scheduling/create-tenants-router.ts'
import { createJobsRouter } from '../../../control-plane/scheduling/create-jobs-router.ts'
import { createSchedulingDashboardRouter } from '../../../control-plane/scheduling/create-scheduling-dashboard-router.ts'
import { createAgentJobsRouter } from '../../../control-plane/scheduling/create-agent-jobs-router.ts'
import { createAssignmentWatch } from '../../../control-plane/scheduling/create-assignment-watch.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'
import { cpHarness, type Res } from '../cp-harness.ts'
import { fakeClock, T0 } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'
import { addCluster, refreshReadings, type NodeSpec } from './fleet-fixture.ts'
import { createInvariantChecker } from './invariant-checker.ts'

export { T0 }

/**
 * The scheduling routers (and the agents' job routes) in cpHarness (real API keys and auth,
 * body limit, JSON guard, error handler) on an in-memory store (or `openStore`'s), with a
 * started scheduler on a hand-driven clock: a cycle runs only when the test advances time or
 * calls runCycle. The invariant checker runs after every cycle.
 */
export async function schedulingHarness (t: Test, opts: { debounceMs?: number, staleAfterMs?: number, openStore?: () => Promise<Store>, closing?: AbortSignal } = {}) {
  const clock = fakeClock()
  const store = opts.openStore === undefined ? await openSqliteStore(':memory:') : await opts.openStore()
  const { lines, log } = memoryLog()
  const checker = createInvariantChecker(store)
  const watch = createAssignmentWatch({ timers: clock.timers })
  const scheduler = createScheduler({
    store, now: clock.now, log, timers: clock.timers, debounceMs: opts.debounceMs ?? 200, staleAfterMs: opts.staleAfterMs ?? 60_000,
    onCycle: () => checker.check(), onJobsChanged: ids => watch.notify(ids),
  })
  t.teardown(async () => {
    await scheduler.stop()
    await store.close()
  })
  const h = await cpHarness(t, {
    store,
    log,
    now: clock.now,
    routers: [
      { path: '/', router: ctx => createTenantsRouter({ ...ctx, scheduler }) },
      { path: '/', router: ctx => createJobsRouter({ ...ctx, scheduler, watch }) },
      { path: '/', router: ctx => createSchedulingDashboardRouter(ctx) },
      { path: '/', router: ctx => createAgentJobsRouter({ ...ctx, scheduler, watch, closing: opts.closing }) },
    ],
  })
  const root = h.root
  scheduler.start()

  /** As root unless `key` says otherwise (null: no key); `raw` is a body sent as is. */
  const req = (method: string, path: string, o: { key?: string | null, body?: unknown, raw?: string } = {}): Promise<Res> => {
    const key = o.key === undefined ? root : o.key
    return h.req(method, path, { ...(key === null ? {} : { key }), ...(o.raw === undefined ? { body: o.body } : { body: o.raw }) })
  }

  const mint = async (permissions: Scope[], tenantId: number | null = null): Promise<string> =>
    (await h.mint(permissions, { label: `k-${permissions.join('-')}-${tenantId ?? 'fleet'}`, ...(tenantId === null ? {} : { tenant_id: tenantId }) })).key

  /** Lets timers' async work (a cycle, its check) finish. */
  const idle = async () => { for (let i = 0; i < 10; i++) await new Promise(resolve => setImmediate(resolve)) }

  return {
    app: h.app,
    store,
    clock,
    lines,
    root,
    scheduler,
    watch,
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
