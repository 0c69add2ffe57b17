import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startControlPlaneSink } from '../../fakes/control-plane-sink.ts'
import { createFakeClock } from './fake-clock.ts'
import { fakeGpu } from './fake-gpu-source.ts'
import { API_KEY, HOSTNAME, setEquals, startHarness } from './uplink-harness.ts'
import { until } from './until.ts'

for (const mode of ['down', 'error500'] as const) {
  t.test(`an outage (${mode}) of 300 ticks, then recovery: every snapshot delivered exactly once`, async t => {
    const h = await startHarness(t, { stateDir: t.testdir() })
    for (let i = 0; i < 5; i++) await h.tick()
    await until('live rows before the outage', () => h.sink.rows().length === 40)

    h.sink.setMode(mode)
    for (let i = 0; i < 300; i++) await h.tick()
    await until('the outage is on disk', () => h.uplink.stats().spoolSamples === 300 * 8)
    t.ok(h.uplink.stats().pushFailures > 0)
    t.equal(h.sink.rows().length, 40, 'nothing got through while upstream failed')

    h.sink.setMode('ok')
    await until('everything delivered and the spool drained',
      () => h.uplink.stats().spoolSamples === 0 && h.uplink.stats().pushedSamples === h.emittedKeys().size,
      () => h.tick())
    t.ok(setEquals(h.storedKeys(), h.emittedKeys()), 'every (gpu, recorded_at) emitted is stored')
    t.equal(h.sink.duplicates(), 0, 'none twice')
    const stats = h.uplink.stats()
    t.equal(stats.spoolDropped, 0)
    t.equal(stats.pushedSamples, h.emittedKeys().size)
    const replayed = h.sink.rows().filter(r => r.recorded_at! < new Date(h.source.emitted()[305]!.recordedAt).toISOString())
    t.equal(replayed.length, 305 * 8, 'spooled rows kept their original recorded_at')
    const batches = h.sink.requests().filter(r => r.path === '/api/gpu-stats' && r.status === 200).map(r => r.samples ?? 0)
    t.ok(Math.max(...batches) <= 1000, 'replay batches are bounded')
    t.ok(batches.length < 305, 'the outage came back in batches, not tick by tick')
    t.equal(h.logs.filter(l => /spooling samples/.test(l.msg)).length, 1, 'the outage is logged once, not every tick')
  })
}

t.test('the spool survives an agent restart', async t => {
  const stateDir = t.testdir()
  const sink = await startControlPlaneSink({ apiKey: API_KEY, mode: 'down' })
  t.teardown(() => sink.close())
  const clock = createFakeClock()
  const a = await startHarness(t, { stateDir, sink, clock })
  for (let i = 0; i < 50; i++) await a.tick()
  await a.uplink.stop()
  t.equal(a.uplink.stats().spoolSamples, 400, 'on disk when stop() resolved')
  const agentId = (JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8')) as { agentId: string }).agentId

  sink.setMode('ok')
  const b = await startHarness(t, { stateDir, sink, clock })
  t.equal(b.uplink.stats().spoolSamples, 400, 'the new process found the spool')
  await until('both runs delivered', () => b.uplink.stats().spoolSamples === 0 && sink.rows().length === 400 + b.emittedKeys().size, () => b.tick())
  t.ok(setEquals(b.storedKeys(), new Set([...a.emittedKeys(), ...b.emittedKeys()])))
  t.equal(sink.duplicates(), 0)
  t.equal((JSON.parse(readFileSync(join(stateDir, 'agent-state.json'), 'utf8')) as { agentId: string }).agentId, agentId, 'same agent identity')
})

t.test('spool full: the oldest are dropped and counted, the newest kept', async t => {
  const spoolMaxBytes = 64 * 1024
  const h = await startHarness(t, { stateDir: t.testdir(), mode: 'error500', uplink: { spoolMaxBytes } })
  for (let i = 0; i < 100; i++) {
    await h.tick()
    t.ok(h.uplink.stats().spoolBytes <= spoolMaxBytes || i === 0, 'never over the cap')
  }
  await until('all 100 ticks accounted for', () => h.uplink.stats().spoolSamples + h.uplink.stats().spoolDropped === 800)
  const { spoolDropped, spoolBytes } = h.uplink.stats()
  t.ok(spoolDropped > 0, `dropped ${spoolDropped}`)
  t.ok(spoolBytes <= spoolMaxBytes)
  const outage = h.source.emitted().map(s => new Date(s.recordedAt).toISOString())

  // Recover without new ticks, so what is left of the outage is exactly what was kept.
  h.sink.setMode('ok')
  await until('spool drained', () => h.uplink.stats().spoolSamples === 0 && h.uplink.stats().pushedSamples === 800 - spoolDropped, () => h.clock.advance(1000))
  const stored = new Set(h.sink.rows().map(r => r.recorded_at))
  t.ok(outage.slice(-10).every(at => stored.has(at)), 'the newest ticks of the outage are delivered')
  t.ok(outage.slice(0, 5).every(at => !stored.has(at)), 'the oldest were the ones dropped')
  t.equal(outage.filter(at => stored.has(at)).length * 8, 800 - spoolDropped, 'delivered + dropped = emitted')
  t.equal(h.sink.duplicates(), 0)
})

t.test('a torn last spool line from a crash is skipped and counted, the rest replayed', async t => {
  const stateDir = t.testdir()
  const spoolDir = join(stateDir, 'spool')
  mkdirSync(spoolDir, { recursive: true })
  const at = (s: number): string => new Date(Date.UTC(2026, 3, 25, 0, 0, s)).toISOString()
  const record = (s: number): string => JSON.stringify({ rows: [0, 1].map(i => ({ gpu_id: i, name: 'NVIDIA B200', recorded_at: at(s), power_draw_w: fakeGpu(i).powerDrawInstantW })) })
  writeFileSync(join(spoolDir, 'seg-000000000001.ndjson'), `${record(1)}\n${record(2)}\n${record(3).slice(0, 40)}`)
  const h = await startHarness(t, { stateDir })
  t.equal(h.uplink.stats().spoolCorrupt, 1)
  t.equal(h.uplink.stats().spoolSamples, 4)
  await until('replayed', () => h.uplink.stats().spoolSamples === 0 && h.sink.rows().length === 4, () => h.clock.advance(1000))
  t.same(new Set(h.sink.rows().filter(r => r.hostname === HOSTNAME && r.recorded_at! < at(10)).map(r => `${r.gpu_id}@${r.recorded_at}`)),
    new Set([`0@${at(1)}`, `1@${at(1)}`, `0@${at(2)}`, `1@${at(2)}`]))
})
