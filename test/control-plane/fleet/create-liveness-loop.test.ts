import t, { type Test } from 'tap'
import { createFleetService } from '../../../control-plane/fleet/create-fleet-service.ts'
import { createLivenessLoop } from '../../../control-plane/fleet/create-liveness-loop.ts'
import { memoryLog } from '../router-harness.ts'
import { T0, fakeClock, openFleetStore } from './fleet-harness.ts'

function setup (t: Test) {
  const store = openFleetStore()
  const clock = fakeClock()
  const { lines, log } = memoryLog()
  const loop = createLivenessLoop({ store, now: clock.now, timers: clock.timers, log, offlineAfterMs: 90_000, everyMs: 15_000 })
  const service = createFleetService({ store, now: clock.now, log })
  t.teardown(async () => { await loop.stop(); await store.close() })
  const events = async () => (await store.fleet.listNodeEvents()).map(e => `${e.hostname} ${e.kind} +${(e.at - T0) / 1000}s`)
  return { store, clock, lines, loop, service, events }
}

t.test('online → offline after 90 s of silence → online on heartbeat → offline again; one event per change', async t => {
  const { store, clock, lines, loop, service, events } = setup(t)
  await service.registerNode({ cluster_name: 'c', hostname: 'a' })
  await service.registerNode({ cluster_name: 'c', hostname: 'b' })
  loop.start()

  await clock.advance(60_000)
  await service.registerNode({ cluster_name: 'c', hostname: 'b' }) // b heartbeats at +60 s
  await clock.advance(30_000)
  t.equal((await store.fleet.getNodeByHostname('a'))?.status, 'online', 'silent exactly 90 s: still online')
  await clock.advance(15_000)
  t.equal((await store.fleet.getNodeByHostname('a'))?.status, 'offline', 'first slot after 90 s: offline')
  t.equal((await store.fleet.getNodeByHostname('b'))?.status, 'online')
  await clock.advance(60_000)
  t.same(await events(), ['a registered +0s', 'b registered +0s', 'a offline +105s', 'b offline +165s'], 'each change once, at the pass that saw it')

  await service.registerNode({ cluster_name: 'c', hostname: 'a' })
  t.equal((await store.fleet.getNodeByHostname('a'))?.status, 'online')
  await clock.advance(105_000)
  t.same((await events()).slice(4), ['a online +165s', 'a offline +270s'])
  t.ok(lines.some(l => l.level === 'warn' && l.msg === 'node offline'))
})

t.test('a telemetry sample brings an offline node back', async t => {
  const { clock, loop, service, events } = setup(t)
  const { nodeId } = await service.resolveIngestNode({ hostname: 'n' })
  loop.start()
  await clock.advance(105_000)
  await service.recordActivity(nodeId, [{ gpu_id: 0, utilization_pct: 50 }], clock.now())
  await clock.advance(15_000)
  t.same(await events(), ['n registered +0s', 'n offline +105s', 'n online +105s'])
})

t.test('ticks align to slots; stop cancels the next one; a failed pass is logged and retried', async t => {
  const { store, clock, lines, loop } = setup(t)
  clock.set(T0 + 4000)
  loop.start()
  loop.start()
  t.equal(clock.pending(), 1, 'start is idempotent')
  let calls = 0
  const real = store.fleet.markStaleNodesOffline
  store.fleet.markStaleNodesOffline = async (cutoff, at) => {
    calls++
    if (calls === 1) throw new Error('database is locked')
    t.equal(at % 15_000, 0, 'runs on the slot boundary')
    t.equal(cutoff, at - 90_000)
    return real(cutoff, at)
  }
  await clock.advance(11_000)
  t.equal(calls, 1, 'first tick at the next slot (+15 s), not 15 s after start')
  t.ok(lines.some(l => l.msg === 'liveness pass failed'))
  await clock.advance(15_000)
  t.equal(calls, 2, 'the loop survived the failure')
  await loop.stop()
  t.equal(clock.pending(), 0)
  await clock.advance(60_000)
  t.equal(calls, 2, 'no ticks after stop')
})

t.test('options are checked when built', async t => {
  const store = openFleetStore()
  t.teardown(() => store.close())
  t.throws(() => createLivenessLoop({ store, now: Date.now, offlineAfterMs: 0 }), /offlineAfterMs/)
  t.throws(() => createLivenessLoop({ store, now: Date.now, everyMs: Number.NaN }), /everyMs/)
  const loop = createLivenessLoop({ store, now: () => T0 })
  t.same(await loop.tick(), [], 'tick on an empty fleet')
})
