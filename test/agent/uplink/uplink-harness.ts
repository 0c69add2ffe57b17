import { pino } from 'pino'
import { createUplink } from '../../../agent/uplink/create-uplink.ts'
import type { Uplink, UplinkOptions } from '../../../agent/uplink/create-uplink.ts'
import { startControlPlaneSink } from '../../fakes/control-plane-sink.ts'
import type { ControlPlaneSink, SinkMode } from '../../fakes/control-plane-sink.ts'
import { createFakeClock } from './fake-clock.ts'
import type { FakeClock } from './fake-clock.ts'
import { createFakeGpuSource } from './fake-gpu-source.ts'
import type { FakeGpuSource } from './fake-gpu-source.ts'

export const API_KEY = 'gfk_uplinktestkey_0123456789abcdefghijklmnop'
export const HOSTNAME = 'gpu-test-01'

export interface Harness {
  sink: ControlPlaneSink
  clock: FakeClock
  source: FakeGpuSource
  uplink: Uplink
  stateDir: string
  /** Every line the uplink logged, parsed. */
  logs: Array<{ level: number, msg: string, [k: string]: unknown }>
  rawLog: () => string
  /** One collector tick: a second passes (firing due timers), then a snapshot is emitted. */
  tick: () => Promise<void>
  /** `hostname|gpu_id|recorded_at` of every row emitted so far. */
  emittedKeys: () => Set<string>
  storedKeys: () => Set<string>
}

interface Tap { teardown: (fn: () => unknown) => void }

export async function startHarness (t: Tap, opts: {
  stateDir: string
  mode?: SinkMode
  sink?: ControlPlaneSink
  clock?: FakeClock
  uplink?: Partial<UplinkOptions>
}): Promise<Harness> {
  const sink = opts.sink ?? await startControlPlaneSink({ apiKey: API_KEY, mode: opts.mode ?? 'ok' })
  if (!opts.sink) t.teardown(() => sink.close())
  const clock = opts.clock ?? createFakeClock()
  const source = createFakeGpuSource()
  const lines: string[] = []
  const log = pino({ level: 'debug', base: null }, { write: (s: string) => { lines.push(s) } })
  const uplink = createUplink({
    controlPlaneUrl: sink.url,
    apiKey: API_KEY,
    cluster: 'test-cluster',
    region: 'us-east-1',
    stateDir: opts.stateDir,
    spoolMaxBytes: 256 * 1024 * 1024,
    source,
    log,
    agentVersion: '0.1.0-test',
    hostFacts: async () => ({ hostname: HOSTNAME, ipAddress: '10.0.1.10', cpuCores: 128, ramGb: 1024 }),
    now: clock.now,
    timers: clock.timers,
    pushTimeoutMs: 2000,
    flushTimeoutMs: 2000,
    ...opts.uplink,
  })
  t.teardown(() => uplink.stop())
  await uplink.start()

  const keysOf = (rows: Array<{ gpu_id: number, recorded_at?: string | null }>, host: string): string[] =>
    rows.map(r => `${host}|${r.gpu_id}|${r.recorded_at}`)
  return {
    sink,
    clock,
    source,
    uplink,
    stateDir: opts.stateDir,
    get logs () { return lines.map(l => JSON.parse(l) as { level: number, msg: string }) },
    rawLog: () => lines.join(''),
    async tick () {
      clock.advance(1000)
      source.emit(clock.now())
      // Let the I/O this tick started make progress, as a real second would.
      await new Promise(resolve => setImmediate(resolve))
    },
    emittedKeys: () => new Set(source.emitted().flatMap(s => s.gpus.map(g => `${HOSTNAME}|${g.index}|${new Date(s.recordedAt).toISOString()}`))),
    storedKeys: () => new Set(sink.rows().flatMap(r => keysOf([r], r.hostname))),
  }
}

export function setEquals (a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every(k => b.has(k))
}
