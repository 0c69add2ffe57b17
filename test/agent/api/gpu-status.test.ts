import t from 'tap'
import type { Test } from 'tap'
import { gpuMemoryBody } from '../../../agent/api/gpu-memory-body.ts'
import { gpuStatusBody } from '../../../agent/api/gpu-status-body.ts'
import { SEED_TIME, KEYS, agentHarness, bearer, seedApps, seedGpu, seedSnapshot } from './fixtures.ts'

// Seed 004's responses, verbatim. Our answers must carry every one of these fields with these
// values (extra fields are allowed); `timestamp` is compared as an instant.
const SEED_STATUS = {
  status: 'success',
  timestamp: '2025-01-29T12:00:00Z',
  gpus: [{
    index: 0,
    name: 'NVIDIA A100 80GB',
    memory: { total_mb: 81920, used_mb: 45056, free_mb: 36864, total_gb: 80.0, used_gb: 44.0, free_gb: 36.0, percent_used: 55.0 },
    utilization: { gpu_percent: 72, memory_percent: 55 },
    temperature_c: 65,
  }],
  processes: [{ pid: 12345, name: 'python', memory_mb: 40960 }],
  total_gpus: 1,
}
const SEED_MEMORY = {
  status: 'success',
  timestamp: '2025-01-29T12:00:00Z',
  memory: [{ total_gb: 80.0, used_gb: 44.0, free_gb: 36.0, percent_used: 55.0, percent_free: 45.0 }],
}

/** `actual` cut down to the keys `shape` has, recursively; a missing key stays visibly missing. */
function project (actual: unknown, shape: unknown): unknown {
  if (Array.isArray(shape)) {
    return Array.isArray(actual) ? actual.map((a, i) => project(a, shape[Math.min(i, shape.length - 1)])) : actual
  }
  if (shape !== null && typeof shape === 'object') {
    if (actual === null || typeof actual !== 'object') return actual
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(shape)) {
      out[key] = key in actual ? project((actual as Record<string, unknown>)[key], (shape as Record<string, unknown>)[key]) : '<missing>'
    }
    return out
  }
  return actual
}

function seedComparable (t: Test, body: Record<string, unknown>) {
  t.equal(Date.parse(body.timestamp as string), Date.parse('2025-01-29T12:00:00Z'), 'timestamp is the snapshot time')
  t.match(body.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/, 'timestamp is ISO 8601 UTC')
  return { ...body, timestamp: '2025-01-29T12:00:00Z' }
}

t.test('GET /v1/gpu/status carries every seed field with the seed values', async t => {
  const { app, clock } = await agentHarness()
  clock.set(SEED_TIME + 1500)
  const res = await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  t.equal(res.headers.get('cache-control'), 'no-store')
  const body = await res.json() as Record<string, unknown>
  t.same(project(seedComparable(t, body), SEED_STATUS), SEED_STATUS)

  // The additions, per GPU and top level.
  t.match(body, {
    gpus: [{
      uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000000',
      pci_bus_id: '00000000:17:00.0',
      power_draw_w: 312.4,
      power_draw_avg_w: 298.1,
      power_limit_w: 400,
      memory_temperature_c: 71,
      clocks: { sm_mhz: 1410, memory_mhz: 1593 },
      pstate: 'P0',
      ecc: { corrected_volatile: 0, uncorrected_volatile: 0 },
    }],
    processes: [{ gpu_index: 0, gpu_uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000000' }],
    hostname: 'gpu-host-01',
    recorded_at: '2025-01-29T12:00:00.000Z',
    data_age_ms: 1500,
    processes_read_at: '2025-01-29T12:00:00.000Z',
  })
})

t.test('GET /v1/gpu/memory carries every seed field with the seed values', async t => {
  const { app } = await agentHarness()
  const res = await app.request('/v1/gpu/memory', { headers: bearer(KEYS.operator) })
  t.equal(res.status, 200)
  const body = await res.json() as Record<string, unknown>
  t.same(project(seedComparable(t, body), SEED_MEMORY), SEED_MEMORY)
  t.match(body, { memory: [{ index: 0, total_mb: 81920, used_mb: 45056, free_mb: 36864 }], data_age_ms: 1000 })
})

t.test('GB and percent math: MiB / 1024 and one decimal', async t => {
  // A B200 as the simulator presents it: 183359 MiB, some reserved, a little used.
  const gpu = seedGpu({ memoryTotalMib: 183359, memoryUsedMib: 1234, memoryFreeMib: 181582, memoryReservedMib: 543 })
  const status = gpuStatusBody(seedSnapshot(SEED_TIME, [gpu]), null, { hostname: 'h', ageMs: 0 })
  t.same(status.gpus[0]?.memory, {
    total_mb: 183359, used_mb: 1234, free_mb: 181582,
    total_gb: 179.1, used_gb: 1.2, free_gb: 177.3, percent_used: 0.7, reserved_mb: 543,
  })
  const memory = gpuMemoryBody(seedSnapshot(SEED_TIME, [gpu]), { hostname: 'h', ageMs: 0 })
  // free/total, not 100 - used: the reserved share is real and not hidden.
  t.equal(memory.memory[0]?.percent_free, 99.0)
  t.equal(memory.memory[0]?.percent_used, 0.7)
})

t.test('[N/A] readings render as null, never 0', async t => {
  const gpu = seedGpu({
    name: null, uuid: null, memoryTotalMib: null, memoryUsedMib: null, memoryFreeMib: null,
    utilizationGpuPct: null, utilizationMemoryPct: null, temperatureGpuC: null, powerDrawInstantW: null, smClockMhz: null,
  })
  const { app } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME, [gpu]), apps: { readAt: SEED_TIME, apps: [{ gpuUuid: 'GPU-gone', pid: 1, processName: 'x', usedMemoryMib: null }] } })
  const status = await (await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).json() as any
  t.same(status.gpus[0].memory, { total_mb: null, used_mb: null, free_mb: null, total_gb: null, used_gb: null, free_gb: null, percent_used: null, reserved_mb: 0 })
  t.same(status.gpus[0].utilization, { gpu_percent: null, memory_percent: null })
  t.equal(status.gpus[0].temperature_c, null)
  t.equal(status.gpus[0].name, null)
  t.equal(status.gpus[0].power_draw_w, null)
  t.same(status.gpus[0].clocks, { sm_mhz: null, memory_mhz: 1593 })
  t.same(status.processes, [{ pid: 1, name: 'x', memory_mb: null, gpu_index: null, gpu_uuid: 'GPU-gone', gpu_instance_id: null, compute_instance_id: null }])
  const memory = await (await app.request('/v1/gpu/memory', { headers: bearer(KEYS.operator) })).json() as any
  t.match(memory.memory[0], { total_gb: null, used_gb: null, free_gb: null, percent_used: null, percent_free: null })
})

t.test('GPUs in index order, total_gpus counts them, processes empty before the first compute-apps read', async t => {
  const gpus = [seedGpu({ index: 1, uuid: 'GPU-b' }), seedGpu({ index: 0, uuid: 'GPU-a' })]
  const { app } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME, gpus), apps: null })
  const status = await (await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).json() as any
  t.same(status.gpus.map((g: { index: number }) => g.index), [0, 1])
  t.equal(status.total_gpus, 2)
  t.same(status.processes, [])
  t.equal(status.processes_read_at, null)
  const memory = await (await app.request('/v1/gpu/memory', { headers: bearer(KEYS.operator) })).json() as any
  t.same(memory.memory.map((g: { index: number }) => g.index), [0, 1])
})

t.test('stale data is refused with its age, on status and memory', async t => {
  const { app, clock } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME), apps: seedApps() })
  clock.set(SEED_TIME + 11_000)
  for (const path of ['/v1/gpu/status', '/v1/gpu/memory']) {
    const res = await app.request(path, { headers: bearer(KEYS.operator) })
    t.equal(res.status, 503, path)
    t.equal(res.headers.get('cache-control'), 'no-store', 'errors are not cacheable either')
    const body = await res.json() as any
    t.same(body, {
      statusCode: 503,
      code: 'GPU_DATA_STALE',
      error: 'Service Unavailable',
      message: body.message,
      details: { age_ms: 11_000, recorded_at: '2025-01-29T12:00:00.000Z', stale_after_ms: 10_000 },
    }, path)
    t.match(body.message, /11\.0 s old/, 'the message gives the age')
  }
  // Exactly at the limit is still fresh; one ms past it is not.
  clock.set(SEED_TIME + 10_000)
  t.equal((await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).status, 200)
  clock.set(SEED_TIME + 10_001)
  t.equal((await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).status, 503)
})

t.test('no snapshot yet → 503 GPU_DATA_UNAVAILABLE', async t => {
  const { app } = await agentHarness({ snapshot: null })
  for (const path of ['/v1/gpu/status', '/v1/gpu/memory']) {
    const res = await app.request(path, { headers: bearer(KEYS.operator) })
    t.equal(res.status, 503, path)
    t.match(await res.json(), { statusCode: 503, code: 'GPU_DATA_UNAVAILABLE', error: 'Service Unavailable', message: /first snapshot/ })
  }
})
