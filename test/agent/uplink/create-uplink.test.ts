import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { parseAgentConfig } from '../../../agent/config.ts'
import type { XidSummary, XidWatch } from '../../../agent/collector/create-xid-watch.ts'
import { createUplink } from '../../../agent/uplink/create-uplink.ts'
import { createFakeGpuSource } from './fake-gpu-source.ts'
import { API_KEY, HOSTNAME, setEquals, startHarness } from './uplink-harness.ts'
import { until } from './until.ts'

t.test('pushes every snapshot with the seed mapping, registers the node and its GPUs', async t => {
  const h = await startHarness(t, { stateDir: t.testdir() })
  for (let i = 0; i < 3; i++) await h.tick()
  await until('24 rows stored', () => h.sink.rows().length === 24)
  await until('registered', () => h.uplink.stats().registered)

  t.ok(setEquals(h.storedKeys(), h.emittedKeys()), 'every (gpu, recorded_at) emitted is stored')
  t.equal(h.sink.duplicates(), 0)
  const first = h.source.emitted()[0]!
  const at = new Date(first.recordedAt).toISOString()
  const row0 = h.sink.rows().find(r => r.gpu_id === 0 && r.recorded_at === at)!
  t.match(row0, {
    hostname: HOSTNAME, gpu_id: 0, name: 'NVIDIA B200', recorded_at: at,
    power_draw_w: 250.5, power_draw_avg_w: 248.25, temp_c: 30, memory_used_mb: 1000, memory_total_mb: 183359,
    utilization_pct: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000000', memory_temp_c: 35, ecc_errors_uncorrected: 0,
  })
  const row3 = h.sink.rows().find(r => r.gpu_id === 3 && r.recorded_at === at)!
  t.equal(row3.power_draw_w, 251.25, 'no instant reading: the 1 s average stands in')
  t.equal(row3.memory_temp_c, null, 'a missing reading arrives as null, not 0')
  t.equal(row3.ecc_errors_uncorrected, null)

  const [node] = h.sink.nodes()
  t.match(node, { hostname: HOSTNAME, cluster_name: 'test-cluster', ip_address: '10.0.1.10', total_gpus: 8, cpu_cores: 128, ram_gb: 1024 })
  t.equal(h.sink.gpus().length, 8)
  t.match(h.sink.gpus()[2], { node_id: node!.id, gpu_index: 2, uuid: 'GPU-00000000-0000-0000-0000-000000000002', model: 'NVIDIA B200', vram_mb: 183359 })
  t.ok(h.sink.requests().every(r => r.bearer === API_KEY), 'every request carries the bearer key')

  const state = JSON.parse(readFileSync(join(h.stateDir, 'agent-state.json'), 'utf8')) as Record<string, unknown>
  t.match(state, { agentId: /^[0-9a-f-]{36}$/, nodeId: node!.id, clusterId: node!.cluster_id, hostname: HOSTNAME })
  t.equal(h.uplink.stats().nodeId, node!.id)

  // Pushes after registration name the node by id too.
  await h.tick()
  await until('row with node_id', () => h.sink.rows().some(r => r.node_id === node!.id))

  // Heartbeat: the nodes endpoint is posted again every 30 s; GPUs are not re-created.
  h.clock.advance(30_000)
  await until('one heartbeat', () => h.sink.nodes()[0]!.heartbeats >= 1)
  t.equal(h.sink.gpus().length, 8)
  t.match(h.uplink.stats(), { spoolSamples: 0, spoolDropped: 0, pushFailures: 0, pushedSamples: 32 })
})

t.test('start() does not wait for the control plane; registration is retried until it answers', async t => {
  const h = await startHarness(t, { stateDir: t.testdir(), mode: 'down' })
  for (let i = 0; i < 5; i++) await h.tick()
  t.equal(h.uplink.stats().registered, false)
  await until('the outage spooled', () => h.uplink.stats().spoolSamples === 40)
  h.sink.setMode('ok')
  await until('registered and all rows delivered', () => h.uplink.stats().registered && h.sink.rows().length === h.emittedKeys().size, () => h.tick())
  t.equal(h.sink.nodes().length, 1)
  t.equal(h.sink.gpus().length, 8)
  t.ok(setEquals(h.storedKeys(), h.emittedKeys()))
  t.equal(h.sink.duplicates(), 0)
  t.ok(h.sink.requests().some(r => r.status === 'destroyed'), 'the sink really was down')
})

t.test('built from the agent config; options checked when built; stop() before start() is fine', async t => {
  const config = parseAgentConfig({ controlPlane: 'http://127.0.0.1:9', apiKey: API_KEY, cluster: 'c1', stateDir: t.testdir() })
  const base = {
    controlPlaneUrl: config.controlPlane,
    apiKey: config.apiKey,
    cluster: config.cluster,
    region: config.region,
    stateDir: config.stateDir,
    spoolMaxBytes: config.spoolMaxBytes,
    intervalMs: config.intervalMs,
    source: createFakeGpuSource(),
    log: pino({ level: 'silent' }),
    agentVersion: '0.1.0',
  }
  const uplink = createUplink(base)
  t.match(uplink.stats(), { registered: false, spoolSamples: 0, pushedSamples: 0 })
  await uplink.stop()
  t.throws(() => createUplink({ ...base, spoolMaxBytes: 10 }), /spoolMaxBytes/)
  t.throws(() => createUplink({ ...base, controlPlaneUrl: 'ftp://x' }), /controlPlaneUrl/)
  t.throws(() => createUplink({ ...base, batchMaxRows: 0 }), /batchMaxRows/)
})

t.test('GPU health (row remapper, Xids from the kernel log) goes up with the GPU registration, again when it changes', async t => {
  const summaries = new Map<string, XidSummary>()
  const xids: XidWatch = {
    start: () => {}, stop: () => {}, poll: () => {},
    forBusId: busId => (busId === null ? null : summaries.get(busId) ?? null),
    all: () => new Map(),
    status: () => ({ path: '/dev/kmsg', readable: true, error: null, events: summaries.size }),
  }
  const h = await startHarness(t, { stateDir: t.testdir(), uplink: { xids } })
  await h.tick()
  await until('GPUs registered', () => h.sink.gpus().length === 8)
  t.same(h.sink.gpus()[1]?.health, {
    xid_count: null, xid_last: null, xid_last_at: null,
    remapped_rows_correctable: 0, remapped_rows_uncorrectable: 0, remapped_rows_pending: false, remapped_rows_failure: false,
  })
  t.same(h.sink.gpus()[3]?.health?.remapped_rows_pending, null, 'a GPU without the reading says null')
  const gpuPosts = () => h.sink.requests().filter(r => r.path === '/api/clusters/gpus').length
  const before = gpuPosts()

  // Heartbeats are on the fake clock: move it a heartbeat at a time until one is seen (the
  // registrar arms its timer only once the registration's answer is handled).
  const heartbeat = () => { h.clock.advance(30_000) }
  const beats = h.sink.nodes()[0]!.heartbeats
  await until('a heartbeat', () => h.sink.nodes()[0]!.heartbeats > beats, heartbeat)
  t.equal(gpuPosts(), before, 'nothing changed: GPUs are not posted again')

  const lastAt = Date.parse('2026-01-01T00:00:00Z')
  const busId = h.source.latest()!.gpus[1]!.pciBusId!
  summaries.set(busId, { count: 2, lastXid: 79, lastAt, lastDetail: 'GPU has fallen off the bus.', byXid: new Map([[79, 2]]) })
  await until('the Xid reported', () => h.sink.gpus()[1]?.health?.xid_last === 79, heartbeat)
  t.match(h.sink.gpus()[1]?.health, { xid_count: 2, xid_last: 79, xid_last_at: new Date(lastAt).toISOString() })
})
