import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { pino } from 'pino'
import t from 'tap'
import { createCollector } from '../../../agent/collector/create-collector.ts'
import { createUplink } from '../../../agent/uplink/create-uplink.ts'
import { SIMULATOR_PATH } from '../../../bin/simulator-path.ts'
import { UPLINK_REASON_HOLD_MS } from '../../../agent/uplink/create-uplink.ts'
import { startControlPlaneSink } from '../../fakes/control-plane-sink.ts'
import type { SinkMode } from '../../fakes/control-plane-sink.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { cpHarness, T0 } from '../../control-plane/cp-harness.ts'
import { createClusterWithId } from '../../reliability/fleet-client.ts'
import { createFakeClock } from './fake-clock.ts'
import { createFakeGpuSource } from './fake-gpu-source.ts'
import { API_KEY, HOSTNAME, setEquals, startHarness } from './uplink-harness.ts'
import { until } from './until.ts'

// Issue 11, "No silent sample loss": every row the agent took is stored, in the spool, or
// counted (dropped, rejected), and /healthz says so while it is not simply pushed.

const proxyAnswers: Array<[string, SinkMode]> = [
  ['a proxy\'s 404 page', { status: 404, body: '<html><body><h1>404 Not Found</h1><hr>nginx</body></html>' }],
  ['a proxy\'s 413 page', { status: 413, body: '<html><body><h1>413 Request Entity Too Large</h1></body></html>' }],
  ['a proxy\'s 502 page', { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }],
  ['a proxy\'s 400 page', { status: 400, body: '<html><body><h1>400 Bad Request</h1></body></html>' }],
  ['a 200 HTML page (captive portal, wrong upstream)', { status: 200, body: '<!doctype html><html><title>Welcome</title></html>' }],
  ['a 200 JSON body that is not an ingest ack', { status: 200, body: '{}' }],
]

for (const [what, mode] of proxyAnswers) {
  t.test(`${what}: spooled and retried, never counted as pushed or rejected; backfills once the control plane answers`, async t => {
    const h = await startHarness(t, { stateDir: t.testdir() })
    await h.tick()
    await until('first push', () => h.uplink.stats().pushedSamples === 8)
    h.sink.setMode(mode)
    for (let i = 0; i < 5; i++) await h.tick()
    await until('the unacknowledged rows spooled', () => h.uplink.stats().spoolSamples === 40)
    const s = h.uplink.stats()
    t.equal(s.rejectedSamples, 0, 'nothing dropped as invalid')
    t.ok(s.pushFailures > 0)
    t.match(s.reasons, [/^uplink spooling: the control plane does not acknowledge pushes \(HTTP \d{3}/], '/healthz reason while spooling')

    h.sink.setMode('ok')
    await until('backfilled', () => h.uplink.stats().spoolSamples === 0 && h.uplink.stats().pushedSamples === h.emittedKeys().size, () => h.tick())
    t.ok(setEquals(h.storedKeys(), h.emittedKeys()), 'every row emitted is stored')
    t.same(h.uplink.stats().reasons, [], 'healthy again once the spool is empty')
  })
}

t.test('rows the control plane skips (agent clock > 5 min ahead): rejected on the agent, not pushed, /healthz says why', async t => {
  const cp = await cpHarness(t, { routers: productParts().routers })
  const server = await new Promise<Server>(resolve => {
    const s = serve({ fetch: cp.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server)) as Server
  })
  t.teardown(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // The harness's agent says region us-east-1: its cluster-bound key may not set a region (issue 12).
  const { key } = await createClusterWithId(url, cp.root, 'test-cluster', 'us-east-1')

  // The control plane's clock says T0; this host's says T0 + 10 min.
  const h = await startHarness(t, { stateDir: t.testdir(), clock: createFakeClock(T0 + 10 * 60_000), uplink: { controlPlaneUrl: url, apiKey: key, pushTimeoutMs: 30_000 } })
  for (let i = 0; i < 3; i++) await h.tick()
  await until('answered', () => (h.uplink.stats().rejectedSamples ?? 0) === 24, () => new Promise(resolve => setTimeout(resolve, 20)))
  const s = h.uplink.stats()
  t.equal(s.pushedSamples, 0, 'skipped rows are not counted as pushed')
  t.equal(s.spoolSamples, 0, 'nor kept: resending cannot help')
  t.equal(await cp.store.telemetry.countSamples(), 0, 'the control plane stored none')
  t.match(s.reasons, [/^control plane rejected samples \(24 so far\).*skipped (\d+) of \1 rows .*clock/])
  t.match(h.logs.filter(l => /rejected samples/.test(l.msg)), [{ level: 50 }], 'logged once, as an error')

  // Clock fixed (here: the control plane's catches up): stored and counted again; the reason
  // holds for UPLINK_REASON_HOLD_MS so a probe every few minutes still sees what happened.
  cp.advance(10 * 60_000 + 10_000)
  await h.tick()
  await until('pushed', () => h.uplink.stats().pushedSamples === 8, () => new Promise(resolve => setTimeout(resolve, 20)))
  t.equal(await cp.store.telemetry.countSamples(), 8)
  t.equal(h.uplink.stats().reasons?.length, 1, 'still listed right after')
  h.clock.advance(UPLINK_REASON_HOLD_MS)
  t.same(h.uplink.stats().reasons, [], 'and gone after the hold')
})

t.test('ticks taken while the uplink is still starting are kept, not lost', async t => {
  const sink = await startControlPlaneSink({ apiKey: API_KEY })
  t.teardown(() => sink.close())
  const clock = createFakeClock()
  const source = createFakeGpuSource()
  let factsAsked!: () => void
  const asked = new Promise<void>(resolve => { factsAsked = resolve })
  let releaseFacts!: () => void
  const factsHeld = new Promise<void>(resolve => { releaseFacts = resolve })
  const uplink = createUplink({
    controlPlaneUrl: sink.url, apiKey: API_KEY, cluster: 'test-cluster', stateDir: t.testdir(), spoolMaxBytes: 1024 * 1024,
    source, log: pino({ level: 'silent' }), agentVersion: '0.1.0-test', now: clock.now, timers: clock.timers,
    // Host facts that take a while (a slow /proc, DNS): the collector is ticking meanwhile.
    hostFacts: async () => { factsAsked(); await factsHeld; return { hostname: HOSTNAME, ipAddress: null, cpuCores: 1, ramGb: 1 } },
  })
  t.teardown(() => uplink.stop())
  const started = uplink.start()
  await asked
  for (let i = 0; i < 3; i++) { clock.advance(1000); source.emit(clock.now()) }
  releaseFacts()
  await started
  clock.advance(1000); source.emit(clock.now())
  await until('all four ticks stored', () => sink.rows().length === 32 && uplink.stats().pushedSamples === 32)
  t.equal(sink.rows().length, 32, 'the 3 ticks from start-up and the one after')
})

t.test('two ticks assembled in the same millisecond (a stalled event loop): both stored, counted once each', async t => {
  const h = await startHarness(t, { stateDir: t.testdir() })
  await h.tick()
  await until('first push', () => h.uplink.stats().pushedSamples === 8)
  // The collector's readline hands over a whole chunk at once: ticks 2 and 3 get one recordedAt.
  const at = h.clock.now() + 1000
  h.source.emit(at)
  h.source.emit(at)
  h.source.emit(at + 1) // and the next real millisecond is still free for the tick after
  await until('pushed', () => h.uplink.stats().pushedSamples === 32)
  await until('all stored', () => h.sink.rows().length === 32)
  t.equal(h.sink.duplicates(), 0, 'no tick was stored as a "duplicate" of another')
  t.equal(new Set(h.sink.rows().map(r => `${r.gpu_id}|${r.recorded_at}`)).size, 32, 'each tick its own recorded_at')
  t.equal(h.uplink.stats().pushedSamples, h.sink.rows().length, 'pushed = stored')
})

t.test('the real collector on a stalling event loop (a loaded host): every tick stored once, pushed = stored', async t => {
  const sink = await startControlPlaneSink({ apiKey: API_KEY })
  t.teardown(() => sink.close())
  const log = pino({ level: 'silent' })
  const collector = createCollector({ nvidiaSmiPath: SIMULATOR_PATH, intervalMs: 100, computeAppsIntervalMs: 60_000, log })
  t.teardown(() => collector.stop())
  const uplink = createUplink({
    controlPlaneUrl: sink.url, apiKey: API_KEY, cluster: 'test-cluster', stateDir: t.testdir(), spoolMaxBytes: 1024 * 1024,
    source: collector, log, agentVersion: '0.1.0-test', hostFacts: async () => ({ hostname: HOSTNAME, ipAddress: null, cpuCores: 1, ramGb: 1 }),
  })
  t.teardown(() => uplink.stop())
  let ticks = 0
  collector.onSnapshot(() => { ticks++ })
  await collector.start()
  await uplink.start()
  await until('pushing', () => uplink.stats().pushedSamples > 0, () => new Promise(resolve => setTimeout(resolve, 20)), 60_000)
  // The simulator keeps printing every 100 ms while the agent's event loop is blocked: the
  // next read holds several ticks' lines, all assembled in the same millisecond.
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setTimeout(resolve, 500))
    const end = Date.now() + 400
    while (Date.now() < end) { /* a stalled event loop */ }
  }
  await collector.stop()
  // A push that timed out on a busy box is spooled and replayed: wait for all of it.
  await until('every tick acknowledged', () => uplink.stats().pushedSamples >= ticks * 8, () => new Promise(resolve => setTimeout(resolve, 20)), 60_000)
  t.equal(new Set(sink.rows().map(r => `${r.gpu_id}|${r.recorded_at}`)).size, ticks * 8, `each of the ${ticks} ticks stored with its own recorded_at`)
  t.equal(uplink.stats().pushedSamples, sink.rows().length, `pushed = stored (${sink.rows().length})`)
})

t.test('a wall clock stepped back by more than a second is not "fixed" by the uplink', async t => {
  const h = await startHarness(t, { stateDir: t.testdir() })
  const at = h.clock.now()
  h.source.emit(at)
  h.source.emit(at - 60_000)
  await until('pushed', () => h.sink.rows().length === 16)
  t.same([...new Set(h.sink.rows().map(r => r.recorded_at))].sort(), [new Date(at - 60_000).toISOString(), new Date(at).toISOString()])
})

t.test('spool full: /healthz reason while dropping, gone once the drops are older than the hold', async t => {
  const h = await startHarness(t, { stateDir: t.testdir(), mode: 'down', uplink: { spoolMaxBytes: 64 * 1024 } })
  await until('dropping', () => h.uplink.stats().spoolDropped > 0, () => h.tick())
  t.match(h.uplink.stats().reasons, [/^uplink spooling/, /^uplink dropping samples: \d+ lost so far \(spool full or unwritable\)/])
  h.sink.setMode('ok')
  await until('replayed', () => h.uplink.stats().spoolSamples === 0, () => h.tick(), 60_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(h.uplink.stats())}`) })
  t.match(h.uplink.stats().reasons, [/^uplink dropping samples/], 'the drop is still recent')
  h.clock.advance(UPLINK_REASON_HOLD_MS)
  t.same(h.uplink.stats().reasons, [])
  // The last live push may still be on its way back.
  await until('every row emitted is pushed or counted as dropped', () => h.uplink.stats().pushedSamples + h.uplink.stats().spoolDropped === h.emittedKeys().size)
  t.equal(h.uplink.stats().pushedSamples, h.sink.rows().length, 'pushed = stored')
})
