import { createFleetRouter, type FleetRouterDeps, type FleetSample } from '../../../control-plane/fleet/create-fleet-router.ts'
import { createFleetService } from '../../../control-plane/fleet/create-fleet-service.ts'
import type { Timers } from '../../../shared/timers.ts'
import { createRegionsRouter } from '../../../control-plane/fleet/create-regions-router.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { createSqlFleetRepository } from '../../../control-plane/store/sql/sql-fleet-repository.ts'
import { sqliteSqlDb } from '../../../control-plane/store/sqlite/sqlite-sql-db.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { memoryLog, routerApp, scopedRequest, testRequireScope } from '../router-harness.ts'

export const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)

/** A store with only the fleet repository: these tests must not depend on the other domains' work. */
export function openFleetStore (): Store {
  const db = openSqliteDb(':memory:')
  migrateSqliteStore(db)
  return {
    engine: 'sqlite',
    fleet: createSqlFleetRepository(sqliteSqlDb(db)),
    // The fleet code never touches these; stubs keep this suite independent of their progress.
    apiKeys: {} as Store['apiKeys'],
    telemetry: {} as Store['telemetry'],
    tenants: {} as Store['tenants'],
    // The liveness loop's node-failure pass finds no jobs here.
    jobs: { failLostNodeJobs: async () => [] } as unknown as Store['jobs'],
    billing: {} as Store['billing'],
    alerts: {} as Store['alerts'],
    dashboard: {} as Store['dashboard'],
    analytics: {} as Store['analytics'],
    sessions: {} as Store['sessions'],
    operatorKeys: {} as Store['operatorKeys'],
    async close () { db.close() },
  }
}

/** Hand-driven time: timers fire only when the test advances the clock. */
export function fakeClock (start = T0) {
  let t = start
  let seq = 0
  const queue = new Map<number, { at: number, fn: () => void }>()
  const timers: Timers = {
    setTimeout (fn, ms) { queue.set(++seq, { at: t + Math.max(0, ms), fn }); return seq },
    clearTimeout (h) { queue.delete(h as number) },
  }
  return {
    now: () => t,
    set: (ms: number) => { t = ms },
    timers,
    pending: () => queue.size,
    /** Moves time forward, firing due timers in order (awaiting a turn after each so async work settles). */
    async advance (ms: number) {
      const end = t + ms
      for (;;) {
        let next: [number, { at: number, fn: () => void }] | undefined
        for (const e of queue) if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e
        if (next === undefined) break
        queue.delete(next[0])
        t = next[1].at
        next[1].fn()
        await new Promise(resolve => setImmediate(resolve))
      }
      t = end
    },
  }
}

export type HarnessOptions = Partial<Pick<FleetRouterDeps, 'jobCounts' | 'recentJobs' | 'createClusterKey'>> & { failSamples?: boolean }

/** The fleet and regions routers on one app, as the lead mounts them, with everything injected. */
export function fleetHarness (opts: HarnessOptions = {}) {
  const store = openFleetStore()
  const clock = fakeClock()
  const { lines, log } = memoryLog()
  const keyCalls: Array<{ clusterId: number, label: string }> = []
  const samples: FleetSample[] = []
  const service = createFleetService({ store, now: clock.now, log })
  const app = routerApp(log, [
    createFleetRouter({
      store,
      requireScope: testRequireScope,
      now: clock.now,
      log,
      service,
      createClusterKey: opts.createClusterKey ?? (async (clusterId, label) => {
        keyCalls.push({ clusterId, label })
        const key = `gfk_${String(clusterId).padStart(8, '0')}${'a'.repeat(56)}`
        return { key, key_prefix: key.slice(0, 12) }
      }),
      jobCounts: opts.jobCounts,
      recentJobs: opts.recentJobs,
      recordSamples: async s => { samples.push(...s) },
    }),
    createRegionsRouter({ store, requireScope: testRequireScope, now: clock.now, cacheMs: 0 }),
  ])

  const request = (method: string, path: string, body?: unknown, scopes = 'superadmin', raw?: string) =>
    scopedRequest(app, method, path, scopes, { body, ...(raw === undefined ? {} : { raw }) })
  const get = (path: string, scopes?: string) => request('GET', path, undefined, scopes)
  const post = (path: string, body: unknown, scopes?: string) => request('POST', path, body, scopes)
  const postRaw = (path: string, raw: string, scopes?: string) => request('POST', path, undefined, scopes, raw)

  return { store, clock, lines, keyCalls, samples, service, app, get, post, postRaw, close: () => store.close() }
}
