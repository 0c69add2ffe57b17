import type { Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { TelemetryRepository } from '../../../control-plane/store/telemetry-repository.ts'
import { createTelemetryRouter, type TelemetryRouterDeps } from '../../../control-plane/telemetry/create-telemetry-router.ts'
import type { ResolvedNode } from '../../../control-plane/telemetry/ingest-types.ts'
import type { TelemetryTimers } from '../../../control-plane/telemetry/telemetry-timers.ts'
import { inMemoryResolveNode } from '../../helpers/in-memory-resolve-node.ts'
import { routerApp, testRequireScope } from '../router-harness.ts'

export const T0 = Date.UTC(2026, 3, 26, 4, 0, 0)
export const MIN = 60_000
export const DAY = 86_400_000

/** Real timeouts (the few-ms commit window), but setImmediate work runs when the test says. */
export function manualImmediates () {
  const queue: Array<() => void> = []
  const pending = new Set<Promise<unknown>>()
  const timers: TelemetryTimers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
    setImmediate: fn => { queue.push(fn) },
  }
  return {
    timers,
    /** Counts `p` as work run() waits for (the repository's retention writes). */
    track<T> (p: Promise<T>): Promise<T> {
      pending.add(p)
      const done = () => { pending.delete(p) }
      p.then(done, done)
      return p
    },
    async run () {
      do {
        while (queue.length > 0) queue.shift()!()
        await new Promise(resolve => setImmediate(resolve))
        // Retention steps the work started: on a file store they answer from the writer thread.
        await Promise.allSettled([...pending])
      } while (queue.length > 0 || pending.size > 0)
    },
  }
}

export interface TestApp {
  app: ReturnType<typeof routerApp>
  repo: TelemetryRepository
  clock: { now: number }
  registry: Registry
  immediates: ReturnType<typeof manualImmediates>
  logs: Array<{ level: string, msg: string, obj: object }>
  post: (body: unknown, init?: { scope?: string, raw?: string, headers?: Record<string, string> }) => Promise<Response>
  get: (path: string, scope?: string) => Promise<Response>
}

export async function telemetryApp (t: Test, over: Partial<TelemetryRouterDeps> & { wrapRepo?: (r: TelemetryRepository) => TelemetryRepository } = {}): Promise<TestApp> {
  // A file: its telemetry writes go through the writer thread, as the control plane's do.
  // Its own directory (a test may build two apps; t.testdir() would hand both the same one).
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-telemetry-app-'))
  const store = await openSqliteStore(join(dir, 'gpufleet.db'))
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const immediates = manualImmediates()
  const wrapped = over.wrapRepo?.(store.telemetry) ?? store.telemetry
  const repo: TelemetryRepository = {
    ...wrapped,
    prune: async q => immediates.track(wrapped.prune(q)),
    compact: async q => immediates.track(wrapped.compact(q)),
  }
  const clock = { now: T0 }
  const registry = new Registry()
  const logs: TestApp['logs'] = []
  const log = {
    warn: (obj: object, msg: string) => { logs.push({ level: 'warn', msg, obj }) },
    error: (obj: object, msg: string) => { logs.push({ level: 'error', msg, obj }) },
  }
  const app = routerApp(log, [createTelemetryRouter({
    store: { telemetry: repo },
    requireScope: testRequireScope,
    now: () => clock.now,
    log,
    resolveNode: inMemoryResolveNode(),
    metrics: registry,
    timers: immediates.timers,
    ...over,
  })])
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
