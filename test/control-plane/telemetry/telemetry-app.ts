import type { Test } from 'tap'
import { Hono } from 'hono'
import { Registry } from 'prom-client'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import type { RequireScope } from '../../../control-plane/http/cp-env.ts'
import { hasScope, type Principal } from '../../../control-plane/auth/principal.ts'
import { createTelemetryRouter, type TelemetryRouterDeps } from '../../../control-plane/telemetry/create-telemetry-router.ts'
import type { ResolvedNode } from '../../../control-plane/telemetry/ingest-types.ts'
import type { TelemetryTimers } from '../../../control-plane/telemetry/telemetry-timers.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { SCOPES, type Scope } from '../../../shared/wire/introspect.ts'

export const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
export const MIN = 60_000
export const DAY = 86_400_000

/** `Authorization: Bearer <scope>` authenticates with that one scope; anything else is 401. */
export const testRequireScope: RequireScope = needed => async (c, next) => {
  const scope = c.req.header('authorization')?.replace(/^Bearer /, '') as Scope | undefined
  if (scope === undefined || !SCOPES.includes(scope)) throw new HttpError(401, 'UNAUTHORIZED', 'an API key is required')
  const principal: Principal = { keyId: 1, scopes: [scope], tenantId: null, via: 'api-key' }
  if (!hasScope(principal, needed)) throw new HttpError(403, 'FORBIDDEN', `needs ${needed}`)
  c.set('principal', principal)
  await next()
}

/** Nodes by hostname (seed bodies without `node` are node 1, "default"); cluster from body.node.cluster. */
export function testResolveNode () {
  const nodes = new Map<string, ResolvedNode>([['default', { nodeId: 1, clusterId: 1, hostname: 'default' }]])
  const clusters = new Map<string, number>([['default', 1]])
  return async (node: { hostname: string, cluster?: string | undefined } | undefined): Promise<ResolvedNode> => {
    const hostname = node?.hostname ?? 'default'
    let r = nodes.get(hostname)
    if (r === undefined) {
      const name = node?.cluster ?? 'default'
      let clusterId = clusters.get(name)
      if (clusterId === undefined) clusters.set(name, clusterId = clusters.size + 1)
      r = { nodeId: nodes.size + 1, clusterId, hostname }
      nodes.set(hostname, r)
    }
    return r
  }
}

/** Real timeouts (the few-ms commit window), but setImmediate work runs when the test says. */
export function manualImmediates () {
  const queue: Array<() => void> = []
  const timers: TelemetryTimers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
    setImmediate: fn => { queue.push(fn) },
  }
  return {
    timers,
    async run () {
      while (queue.length > 0) queue.shift()!()
      await new Promise(resolve => setImmediate(resolve))
    },
  }
}

export interface TestApp {
  app: Hono
  repo: TelemetryRepository
  clock: { now: number }
  registry: Registry
  immediates: ReturnType<typeof manualImmediates>
  logs: Array<{ level: string, msg: string, obj: object }>
  post: (body: unknown, init?: { scope?: string, raw?: string, headers?: Record<string, string> }) => Promise<Response>
  get: (path: string, scope?: string) => Promise<Response>
}

export async function telemetryApp (t: Test, over: Partial<TelemetryRouterDeps> & { wrapRepo?: (r: TelemetryRepository) => TelemetryRepository } = {}): Promise<TestApp> {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const repo = over.wrapRepo?.(store.telemetry) ?? store.telemetry
  const clock = { now: T0 }
  const registry = new Registry()
  const immediates = manualImmediates()
  const logs: TestApp['logs'] = []
  const log = {
    warn: (obj: object, msg: string) => { logs.push({ level: 'warn', msg, obj }) },
    error: (obj: object, msg: string) => { logs.push({ level: 'error', msg, obj }) },
  }
  const app = new Hono()
  app.onError(createOnError(log))
  app.notFound(notFound)
  app.route('/', createTelemetryRouter({
    store: { telemetry: repo },
    requireScope: testRequireScope,
    now: () => clock.now,
    log,
    resolveNode: testResolveNode(),
    metrics: registry,
    timers: immediates.timers,
    ...over,
  }))
  return {
    app,
    repo: store.telemetry,
    clock,
    registry,
    immediates,
    logs,
    post: async (body, init = {}) => app.request('/api/gpu-stats', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${init.scope ?? 'ingest'}`, ...init.headers },
      body: init.raw ?? JSON.stringify(body),
    }),
    get: async (path, scope = 'read') => app.request(path, { headers: { authorization: `Bearer ${scope}` } }),
  }
}

/** The seed's example row for GPU `gpuId`. */
export function seedRow (gpuId: number, over: Record<string, unknown> = {}) {
  return {
    gpu_id: gpuId,
    name: 'NVIDIA B200',
    power_draw_w: 612.4,
    temp_c: 47,
    memory_used_mb: 173456,
    memory_total_mb: 183359,
    utilization_pct: 84,
    ...over,
  }
}
