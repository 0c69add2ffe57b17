import type { MiddlewareHandler } from 'hono'
import { hasScope } from '../../../control-plane/auth/principal.ts'
import { createFleetRouter, type FleetRouterDeps, type FleetSample } from '../../../control-plane/fleet/create-fleet-router.ts'
import { createFleetService } from '../../../control-plane/fleet/create-fleet-service.ts'
import type { Timers } from '../../../shared/timers.ts'
import { createRegionsRouter } from '../../../control-plane/fleet/create-regions-router.ts'
import type { CpEnv, RequireScope } from '../../../control-plane/http/cp-env.ts'
import { createRouter } from '../../../control-plane/http/create-router.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { createSqliteFleetRepository } from '../../../control-plane/store/sqlite/sqlite-fleet-repository.ts'
import { migrateSqliteStore } from '../../../control-plane/store/sqlite/migrate-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { SCOPES, type Scope } from '../../../shared/wire/introspect.ts'

export const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)

/** A store with only the fleet repository: these tests must not depend on the other domains' work. */
export function openFleetStore (): Store {
  const db = openSqliteDb(':memory:')
  migrateSqliteStore(db)
  return {
    engine: 'sqlite',
    fleet: createSqliteFleetRepository(db),
    // The fleet code never touches these; stubs keep this suite independent of their progress.
    apiKeys: {} as Store['apiKeys'],
    telemetry: {} as Store['telemetry'],
    tenants: {} as Store['tenants'],
    jobs: {} as Store['jobs'],
    billing: {} as Store['billing'],
    alerts: {} as Store['alerts'],
    dashboard: {} as Store['dashboard'],
    analytics: {} as Store['analytics'],
    sessions: {} as Store['sessions'],
    operatorKeys: {} as Store['operatorKeys'],
    async close () { db.close() },
  }
}

/**
 * The test's auth: `Authorization: Bearer scopes:read,write` grants those scopes; no header is
 * 401, a missing scope 403. Real keys are the auth module's business and tested there.
 */
export const testRequireScope: RequireScope = (needed: Scope): MiddlewareHandler<CpEnv> => async (c, next) => {
  const m = /^Bearer scopes:([a-z,]*)$/.exec(c.req.header('authorization') ?? '')
  if (m === null) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid API key')
  const scopes = (m[1] ?? '').split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))
  const principal = { keyId: 1, scopes, tenantId: null, via: 'api-key' as const }
  if (!hasScope(principal, needed)) throw new HttpError(403, 'FORBIDDEN', `requires the ${needed} scope`)
  c.set('principal', principal)
  await next()
}

export interface LogLine { level: string, obj: object, msg: string }

export function memoryLog () {
  const lines: LogLine[] = []
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }) }
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } }
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
  const app = createRouter()
  app.route('/', createFleetRouter({
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
  }))
  app.route('/', createRegionsRouter({ store, requireScope: testRequireScope, now: clock.now, cacheMs: 0 }))
  app.onError(createOnError(log))
  app.notFound(notFound)

  const request = async (method: string, path: string, body?: unknown, scopes = 'superadmin', raw?: string) => {
    const headers: Record<string, string> = {}
    if (scopes !== '') headers.authorization = `Bearer scopes:${scopes}`
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json'
    const res = await app.request(path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) })
    const text = await res.text()
    let json: unknown
    try { json = JSON.parse(text) } catch { json = text }
    return { status: res.status, body: json as any }
  }
  const get = (path: string, scopes?: string) => request('GET', path, undefined, scopes)
  const post = (path: string, body: unknown, scopes?: string) => request('POST', path, body, scopes)
  const postRaw = (path: string, raw: string, scopes?: string) => request('POST', path, undefined, scopes, raw)

  return { store, clock, lines, keyCalls, samples, service, app, get, post, postRaw, close: () => store.close() }
}
