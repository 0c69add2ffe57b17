import { join } from 'node:path'
import t from 'tap'
import { openSpool } from '../../../agent/uplink/open-spool.ts'
import { startControlPlaneSink } from '../../fakes/control-plane-sink.ts'
import { createFakeClock } from './fake-clock.ts'
import { API_KEY, setEquals, startHarness } from './uplink-harness.ts'
import { until } from './until.ts'

t.test('400 from ingest: dropped and counted, not spooled, logged without flooding', async t => {
  const h = await startHarness(t, { stateDir: t.testdir(), mode: { status: 400 } })
  for (let i = 0; i < 5; i++) await h.tick()
  await until('all rejected', () => h.uplink.stats().rejectedSamples === 40)
  t.match(h.uplink.stats(), { spoolSamples: 0, pushedSamples: 0, lastError: /HTTP 400/ })
  t.equal(h.logs.filter(l => /rejected samples as invalid/.test(l.msg)).length, 1, 'logged once within the minute')

  h.sink.setMode('ok')
  await h.tick()
  await until('live again', () => h.uplink.stats().pushedSamples === 8)
  t.equal(h.sink.rows().length, 8, 'the rejected rows are not re-sent')
})

for (const status of [401, 403] as const) {
  t.test(`${status} from ingest: spooled, logged once and clearly, key never logged; backfills once accepted`, async t => {
    const h = await startHarness(t, { stateDir: t.testdir(), mode: { status } })
    for (let i = 0; i < 20; i++) await h.tick()
    await until('spooled', () => h.uplink.stats().spoolSamples === 160)
    t.equal(h.sink.rows().length, 0)
    // One clear line per endpoint (ingest and registration may use different scopes), not one per second.
    for (const what of ['ingest', 'node registration']) {
      const lines = h.logs.filter(l => l.msg.includes(`refused the API key for ${what}`))
      t.equal(lines.length, 1, `${what}: logged once`)
      t.match(lines[0], { level: 50, msg: /--api-key/ })
    }

    h.sink.setMode('ok') // the operator fixed the key on the control plane
    await until('backfilled', () => h.uplink.stats().spoolSamples === 0 && h.uplink.stats().pushedSamples === h.emittedKeys().size, () => h.tick())
    t.ok(setEquals(h.storedKeys(), h.emittedKeys()))
    t.equal(h.sink.duplicates(), 0)
    t.notOk(h.rawLog().includes(API_KEY), 'the API key never appears in the log')
  })
}

t.test('stop() pushes what is pending when upstream is up', async t => {
  const h = await startHarness(t, { stateDir: t.testdir() })
  await h.tick()
  await until('first push', () => h.uplink.stats().pushedSamples === 8)
  // Three ticks back to back: one goes out live, the others wait for it; stop must send them all.
  for (let i = 0; i < 3; i++) { h.clock.advance(1000); h.source.emit(h.clock.now()) }
  await h.uplink.stop()
  t.ok(setEquals(h.storedKeys(), h.emittedKeys()), 'everything acknowledged before stop() resolved')
  t.equal(h.uplink.stats().spoolSamples, 0)
})

t.test('stop() leaves everything unacknowledged on disk when upstream is down', async t => {
  const h = await startHarness(t, { stateDir: t.testdir() })
  await h.tick()
  await until('first push', () => h.uplink.stats().pushedSamples === 8)
  h.sink.setMode('down')
  for (let i = 0; i < 3; i++) { h.clock.advance(1000); h.source.emit(h.clock.now()) }
  await h.uplink.stop()
  const spool = await openSpool({ dir: join(h.stateDir, 'spool'), maxBytes: 1024 * 1024 })
  t.equal(spool.stats().samples, 24, 'on disk, as a new process would find it')
  await spool.close()
})

t.test('a timeout after the server stored the rows: re-sent, stored once (ingest is idempotent)', async t => {
  const stateDir = t.testdir()
  const sink = await startControlPlaneSink({ apiKey: API_KEY, mode: 'slow' })
  t.teardown(() => sink.close())
  const clock = createFakeClock()
  const a = await startHarness(t, { stateDir, sink, clock, uplink: { pushTimeoutMs: 200, flushTimeoutMs: 200 } })
  for (let i = 0; i < 3; i++) await a.tick()
  await until('the first push timed out', () => a.uplink.stats().pushFailures >= 1)
  await a.uplink.stop()
  t.ok(a.uplink.stats().spoolSamples > 0, 'the unacknowledged rows are on disk')

  sink.setMode('ok')
  const b = await startHarness(t, { stateDir, sink, clock })
  await until('replayed', () => b.uplink.stats().spoolSamples === 0, () => b.clock.advance(1000))
  t.ok(setEquals(b.storedKeys(), a.emittedKeys()), 'rows == every (gpu, recorded_at) emitted')
  t.ok(sink.duplicates() > 0, 'the ambiguous batch arrived twice and was stored once')
})
