import { createFleetRouter, type FleetRouterDeps, type FleetSample } from '../../../control-plane/fleet/create-fleet-router.ts'
import { createFleetService } from '../../../control-plane/fleet/create-fleet-service.ts'
import { manualTimers } from '../../helpers/manual-timers.ts'
import { createRegionsRouter } from '../../../control-plane/fleet/create-regions-router.ts'
import { createSqlFleetRepository } from '../../../control-plane/store/sql/sql-fleet-repository.ts'
import { openPartialSqliteStore } from '../../helpers/open-partial-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { memoryLog, routerApp, scopedRequest, testRequireScope } from '../router-harness.ts'

export const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)

/** A store with only the fleet repository: these tests must not depend on the other domains' work. */
export function openFleetStore (): Store {
  // The liveness loop's node-failure pass finds no jobs here.
  return openPartialSqliteStore(sql => ({ fleet: createSqlFleetRepository(sql), jobs: { failLostNodeJobs: async () => [] } as unknown as Store['jobs'] })).store
}

/** Hand-driven time: timers fire only when the test advances the clock. */
export function fakeClock (start = T0) {
  const clock = manualTimers(start)
  return {
    now: clock.now,
    set: clock.set,
    timers: clock.timers,
    pending: () => clock.delays().length,
    /** Moves time forward, firing due timers in order (awaiting a turn after each so async work settles). */
    advance: clock.advanceSettling,
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

  return { store, clock, lines, keyCalls, samples, service, app, request, get, post, postRaw, close: () => store.close() }
}
