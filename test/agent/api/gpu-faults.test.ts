import t from 'tap'
import { SEED_TIME, KEYS, agentHarness, bearer, seedGpu, seedSnapshot } from './fixtures.ts'

const UUID1 = 'GPU-8d0a1b2c-0000-4000-8000-000000000001'

/** Two GPUs read, a third fallen off the bus, GPU 1's used memory a fault. */
function faultySnapshot () {
  const gpu1 = seedGpu({
    index: 1,
    uuid: UUID1,
    memoryUsedMib: null,
    faults: [{ field: 'memory.used', raw: '[GPU requires reset]', reason: 'GPU requires reset' }],
  })
  return {
    ...seedSnapshot(SEED_TIME, [seedGpu(), gpu1]),
    missing: [{
      index: 2,
      uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000002',
      pciBusId: '00000000:3B:00.0',
      name: 'NVIDIA A100 80GB',
      reason: 'nvidia-smi: Unable to determine the device handle for GPU 00000000:3B:00.0: Unknown Error',
      since: SEED_TIME - 5000,
    }],
  }
}

t.test('/v1/gpu/status: a fault is null with its reason on that GPU, a missing GPU is listed; seed fields unchanged', async t => {
  const { app } = await agentHarness({ snapshot: faultySnapshot() })
  const res = await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  t.equal(res.status, 200)
  const body = await res.json() as Record<string, any>
  t.equal(body.total_gpus, 2)
  t.match(body.gpus[0], { index: 0, memory: { used_mb: 45056 }, faults: [] })
  t.match(body.gpus[1], {
    index: 1,
    memory: { used_mb: null, used_gb: null, percent_used: null, total_mb: 81920 },
    utilization: { gpu_percent: 72 },
    faults: [{ field: 'memory.used', raw: '[GPU requires reset]', reason: 'GPU requires reset' }],
  })
  t.same(body.missing_gpus, [{
    index: 2,
    uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000002',
    pci_bus_id: '00000000:3B:00.0',
    name: 'NVIDIA A100 80GB',
    reason: 'nvidia-smi: Unable to determine the device handle for GPU 00000000:3B:00.0: Unknown Error',
    since: '2025-01-29T11:59:55.000Z',
  }])
})

t.test('/healthz: degraded, naming the missing GPU by index and UUID and the fault with its reason', async t => {
  const { app } = await agentHarness({ snapshot: faultySnapshot() })
  const res = await app.request('/healthz')
  t.equal(res.status, 200)
  const body = await res.json() as Record<string, any>
  t.equal(body.status, 'degraded')
  t.same(body.reasons, [
    'GPU 2 (GPU-8d0a1b2c-0000-4000-8000-000000000002) missing: nvidia-smi: Unable to determine the device handle for GPU 00000000:3B:00.0: Unknown Error',
    `GPU 1 (${UUID1}) fault: memory.used: GPU requires reset`,
  ])
  t.match(body.missing_gpus, [{ index: 2, uuid: 'GPU-8d0a1b2c-0000-4000-8000-000000000002' }])
})

t.test('ages run on the monotonic clock: a wall-clock step backwards does not make stale data fresh', async t => {
  let mono = 1_000
  const snapshot = { ...seedSnapshot(SEED_TIME), monotonicAt: mono }
  const { app, clock } = await agentHarness({ snapshot, deps: { monotonicNow: () => mono } })
  // 30 s pass, and meanwhile the wall clock is stepped back a minute (NTP, `date -s`).
  mono += 30_000
  clock.set(SEED_TIME - 60_000)
  const status = await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })
  t.equal(status.status, 503)
  t.match(await status.json(), { code: 'GPU_DATA_STALE', details: { age_ms: 30_000 } })
  const health = await (await app.request('/healthz')).json() as Record<string, any>
  t.match(health, { status: 'degraded', data_age_ms: 30_000, reasons: ['GPU data stale: newest snapshot is 30.0 s old'] })
  const metrics = await (await app.request('/metrics')).text()
  t.match(metrics, /gpufleet_agent_last_sample_age_seconds 30\n/)
  t.match(metrics, /gpufleet_agent_gpu_data_stale 1\n/)

  // And a step forwards does not make fresh data stale.
  mono += -29_000 + 1_000 // 2 s after the reading
  clock.set(SEED_TIME + 3_600_000)
  t.equal((await app.request('/v1/gpu/status', { headers: bearer(KEYS.operator) })).status, 200)
})
