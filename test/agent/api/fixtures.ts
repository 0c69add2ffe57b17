import { Writable } from 'node:stream'
import pino from 'pino'
import type { ComputeAppsReading, GpuReading, Snapshot } from '../../../agent/collector/snapshot.ts'
import type { CollectorHealth, GpuSource } from '../../../agent/gpu-source.ts'
import type { PurgeResult, PurgeService } from '../../../shared/wire/purge-types.ts'
import type { UplinkStats } from '../../../agent/uplink/uplink-stats.ts'
import { createAgentApp } from '../../../agent/api/create-agent-app.ts'
import type { AgentAppDeps } from '../../../agent/api/create-agent-app.ts'
import { createOperatorAuth } from '../../../agent/api/operator-auth.ts'
import type { OperatorAuthOptions } from '../../../agent/api/operator-auth.ts'
import type { JsonReply } from '../../../agent/api/http-post-json.ts'

/** Seed 004's time, GPU and process, in the collector's units. */
export const SEED_TIME = Date.parse('2025-01-29T12:00:00Z')

export function seedGpu (overrides: Partial<GpuReading> = {}): GpuReading {
  return {
    index: 0,
    uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000000',
    name: 'NVIDIA A100 80GB',
    pciBusId: '00000000:17:00.0',
    memoryTotalMib: 81920,
    memoryReservedMib: 0,
    memoryUsedMib: 45056,
    memoryFreeMib: 36864,
    utilizationGpuPct: 72,
    utilizationMemoryPct: 55,
    temperatureGpuC: 65,
    temperatureMemoryC: 71,
    powerDrawInstantW: 312.4,
    powerDrawAverageW: 298.1,
    powerLimitW: 400,
    smClockMhz: 1410,
    memClockMhz: 1593,
    pstate: 'P0',
    eccCorrectedVolatile: 0,
    eccUncorrectedVolatile: 0,
    clocksEventReasons: 1, remappedRowsCorrectable: 0, remappedRowsUncorrectable: 0, remappedRowsPending: false, remappedRowsFailure: false,
    ...overrides,
  }
}

export function seedSnapshot (recordedAt = SEED_TIME, gpus: GpuReading[] = [seedGpu()]): Snapshot {
  return { recordedAt, gpus }
}

export function seedApps (readAt = SEED_TIME): ComputeAppsReading {
  return { readAt, apps: [{ gpuUuid: seedGpu().uuid as string, pid: 12345, processName: 'python', usedMemoryMib: 40960 }] }
}

/** A controllable clock: tests move time, nothing sleeps. */
export function fakeClock (start = SEED_TIME) {
  let t = start
  return {
    now: () => t,
    set: (ms: number) => { t = ms },
    advance: (ms: number) => { t += ms },
  }
}

export interface FakeSource extends GpuSource {
  snapshot: Snapshot | null
  apps: ComputeAppsReading | null
  healthState: CollectorHealth
}

export function fakeSource (snapshot: Snapshot | null = seedSnapshot(), apps: ComputeAppsReading | null = seedApps()): FakeSource {
  const source: FakeSource = {
    snapshot,
    apps,
    healthState: {
      state: 'running',
      restarts: 2,
      parseErrors: 5,
      lastSnapshotAt: snapshot?.recordedAt ?? null,
      childPid: 4242,
      fields: ['index', 'uuid', 'name'],
      lastError: null,
    },
    latest: () => source.snapshot,
    onSnapshot: () => () => {},
    computeApps: () => source.apps,
    refreshComputeApps: async () => source.apps ?? { readAt: 0, apps: [] },
    readNow: async () => { if (source.snapshot === null) throw new Error('no reading'); return source.snapshot },
    health: () => source.healthState,
  }
  return source
}

export const SEED_PURGE_RESULT: PurgeResult = {
  status: 'success',
  timestamp: '2025-01-29T12:00:00Z',
  actions: ['unloaded qwen-3.5-27b', 'cleared CUDA cache'],
  memory_before: { used_gb: 44.0, total_gb: 80.0, percent_used: 55.0 },
  memory_after: { used_gb: 2.1, total_gb: 80.0, percent_used: 2.6 },
  memory_freed_gb: 41.9,
  models_unloaded: ['qwen-3.5-27b'],
  errors: [],
  recommendation: 'GPU memory cleared successfully',
  force: false,
  settled: true,
  models_left_loaded: [],
}

export function fakePurge (answer: () => Promise<PurgeResult> = async () => SEED_PURGE_RESULT) {
  const calls: Array<{ force: boolean }> = []
  const service: PurgeService & { calls: typeof calls } = {
    calls,
    purge: async (options) => { calls.push(options); return answer() },
    running: () => false,
  }
  return service
}

export function uplinkStats (overrides: Partial<UplinkStats> = {}): UplinkStats {
  return {
    registered: true,
    nodeId: 7,
    spoolBytes: 4096,
    spoolSamples: 16,
    spoolDropped: 3,
    pushFailures: 4,
    pushedSamples: 1200,
    lastPushAt: SEED_TIME,
    lastError: null,
    ...overrides,
  }
}

/** A real pino writing JSON lines into an array, so tests read what was really logged. */
export function memoryLogger () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
  return { log: pino({ level: 'info' }, stream), lines }
}

export const KEYS = {
  operator: 'gfk_operator_superadmin_key_0000000000000000',
  reader: 'gfk_tenant_read_only_key_000000000000000000000',
  unknown: 'gfk_not_a_real_key_00000000000000000000000000',
  breakGlass: 'gfk_break_glass_key_000000000000000000000000000',
} as const
export const AGENT_KEY = 'gfk_agent_ingest_key_0000000000000000000000000'

/**
 * The control plane's introspection as an injected request function: answers from a key
 * table, counts calls, and can be "down" (throws like a refused connection) or return 5xx.
 */
export function fakeIntrospection () {
  const state = {
    calls: 0,
    mode: 'up' as 'up' | 'down' | '500',
    seenAuthorization: [] as string[],
    table: new Map<string, { scopes: string[], key_id: number, tenant_id: number | null }>([
      [KEYS.operator, { scopes: ['read', 'write', 'admin', 'superadmin'], key_id: 1, tenant_id: null }],
      [KEYS.reader, { scopes: ['read'], key_id: 2, tenant_id: 9 }],
    ]),
  }
  async function request (_url: string, body: unknown, headers: Record<string, string>): Promise<JsonReply> {
    state.calls++
    state.seenAuthorization.push(headers.authorization ?? '')
    if (state.mode === 'down') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    if (state.mode === '500') return { status: 500, body: { message: 'db locked' } }
    const key = (body as { key: string }).key
    const entry = state.table.get(key)
    return { status: 200, body: entry === undefined ? { active: false, scopes: [], key_id: null, tenant_id: null } : { active: true, ...entry } }
  }
  return { state, request }
}

export function sha256Hex (text: string): Promise<string> {
  return import('node:crypto').then(c => c.createHash('sha256').update(text).digest('hex'))
}

type MemoryLog = ReturnType<typeof memoryLogger>['log']

/**
 * The operator auth as the agent wires it, on the fake introspection, a recording log and the
 * test's clock; `extra` (given that log) adds or overrides options.
 */
export async function fakeOperatorAuth (clock: { now: () => number }, extra: (log: MemoryLog) => Partial<OperatorAuthOptions> = () => ({})) {
  const introspection = fakeIntrospection()
  const { log, lines } = memoryLogger()
  const auth = createOperatorAuth({
    controlPlaneUrl: 'http://127.0.0.1:8080',
    agentApiKey: AGENT_KEY,
    breakGlassKeySha256: await sha256Hex(KEYS.breakGlass),
    cacheTtlMs: 60_000,
    now: clock.now,
    request: introspection.request,
    log,
    ...extra(log),
  })
  return { auth, introspection, log, lines }
}

/** A full agent app on fakes; returns the fakes so tests can steer them. */
export async function agentHarness (options: {
  snapshot?: Snapshot | null
  apps?: ComputeAppsReading | null
  deps?: Partial<AgentAppDeps>
  auth?: Partial<OperatorAuthOptions>
} = {}) {
  const clock = fakeClock(SEED_TIME + 1000)
  const source = fakeSource(options.snapshot === undefined ? seedSnapshot() : options.snapshot, options.apps === undefined ? seedApps() : options.apps)
  const purge = fakePurge()
  const { auth, introspection, log, lines } = await fakeOperatorAuth(clock, () => ({ ...options.auth }))
  const app = createAgentApp({
    source,
    purge,
    auth,
    uplinkStats: () => uplinkStats(),
    hostname: 'gpu-host-01',
    staleAfterMs: 10_000,
    now: clock.now,
    log,
    version: '0.1.0-test',
    processMetrics: false,
    ...options.deps,
  })
  return { app, clock, source, purge, introspection, lines }
}

export function bearer (key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` }
}

export interface PromSample { labels: Record<string, string>, value: number }

/** The samples of one metric in Prometheus text exposition (no escapes needed for our values). */
export function promSamples (text: string, name: string): PromSample[] {
  const out: PromSample[] = []
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string
    out.push({ labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) })
  }
  return out
}
