import t from 'tap'
import { createAgentMetrics } from '../../../agent/api/agent-metrics.ts'
import { SEED_TIME, agentHarness, promSamples, fakeClock, fakeSource, seedGpu, seedSnapshot, uplinkStats } from './fixtures.ts'

const DCGM = [
  'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_MEM_COPY_UTIL', 'DCGM_FI_DEV_POWER_USAGE', 'DCGM_FI_DEV_POWER_USAGE_INSTANT',
  'DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_MEMORY_TEMP', 'DCGM_FI_DEV_FB_USED', 'DCGM_FI_DEV_FB_FREE', 'DCGM_FI_DEV_FB_RESERVED',
  'DCGM_FI_DEV_SM_CLOCK', 'DCGM_FI_DEV_MEM_CLOCK',
]
const TOKEN = 'metrics-token-0123456789'

const samples = promSamples

async function scrape (app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, headers: Record<string, string> = {}) {
  const res = await app.request('/metrics', { headers })
  return { res, text: await res.text() }
}

t.test('dcgm-exporter names, HELP/TYPE, labels and values; content type 0.0.4', async t => {
  const gpus = [seedGpu(), seedGpu({ index: 1, uuid: 'GPU-1111', pciBusId: '00000000:2A:00.0', powerDrawInstantW: 250, memoryReservedMib: 512 })]
  const { app } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME, gpus) })
  const { res, text } = await scrape(app)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  for (const name of DCGM) {
    t.match(text, new RegExp(`^# HELP ${name} \\S.*$`, 'm'), `${name} HELP`)
    t.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'), `${name} TYPE`)
    t.equal(samples(text, name).length, 2, `${name}: one series per GPU`)
  }
  t.match(text, /^# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used \(in MiB\)\.$/m, 'HELP text as dcgm-exporter words it')
  const util = samples(text, 'DCGM_FI_DEV_GPU_UTIL')
  t.same(util[1], {
    labels: { gpu: '1', UUID: 'GPU-1111', pci_bus_id: '00000000:2A:00.0', device: 'nvidia1', modelName: 'NVIDIA A100 80GB', Hostname: 'gpu-host-01' },
    value: 72,
  })
  t.same(Object.keys(util[0]?.labels ?? {}), ['gpu', 'UUID', 'pci_bus_id', 'device', 'modelName', 'Hostname'], 'exactly the dcgm-exporter labels')
  const value = (name: string, gpu: string) => samples(text, name).find(s => s.labels.gpu === gpu)?.value
  t.equal(value('DCGM_FI_DEV_POWER_USAGE', '0'), 298.1, 'POWER_USAGE is the average')
  t.equal(value('DCGM_FI_DEV_POWER_USAGE_INSTANT', '0'), 312.4)
  t.equal(value('DCGM_FI_DEV_POWER_USAGE_INSTANT', '1'), 250)
  t.equal(value('DCGM_FI_DEV_FB_USED', '0'), 45056, 'MiB')
  t.equal(value('DCGM_FI_DEV_FB_FREE', '0'), 36864)
  t.equal(value('DCGM_FI_DEV_FB_RESERVED', '1'), 512)
  t.equal(value('DCGM_FI_DEV_MEM_COPY_UTIL', '0'), 55)
  t.equal(value('DCGM_FI_DEV_GPU_TEMP', '0'), 65)
  t.equal(value('DCGM_FI_DEV_MEMORY_TEMP', '0'), 71)
  t.equal(value('DCGM_FI_DEV_SM_CLOCK', '0'), 1410)
  t.equal(value('DCGM_FI_DEV_MEM_CLOCK', '0'), 1593)
})

t.test('a null reading has no series (never 0)', async t => {
  const gpus = [seedGpu({ temperatureMemoryC: null, powerDrawInstantW: null }), seedGpu({ index: 1, uuid: 'GPU-1', temperatureMemoryC: null })]
  const { app } = await agentHarness({ snapshot: seedSnapshot(SEED_TIME, gpus) })
  const { text } = await scrape(app)
  t.same(samples(text, 'DCGM_FI_DEV_MEMORY_TEMP'), [])
  t.match(text, /^# TYPE DCGM_FI_DEV_MEMORY_TEMP gauge$/m, 'the family is still declared')
  t.same(samples(text, 'DCGM_FI_DEV_POWER_USAGE_INSTANT').map(s => s.labels.gpu), ['1'])
  t.equal(samples(text, 'DCGM_FI_DEV_GPU_UTIL').length, 2)
})

t.test('stale or missing data: GPU series withheld, the agent says why', async t => {
  const { app, clock, source } = await agentHarness()
  clock.set(SEED_TIME + 11_000)
  let { text } = await scrape(app)
  for (const name of DCGM) t.same(samples(text, name), [], `${name} withheld while stale`)
  t.same(samples(text, 'gpufleet_agent_gpu_data_stale'), [{ labels: {}, value: 1 }])
  t.same(samples(text, 'gpufleet_agent_last_sample_age_seconds'), [{ labels: {}, value: 11 }])

  // A fresh snapshot brings them back.
  source.snapshot = seedSnapshot(SEED_TIME + 10_500)
  ;({ text } = await scrape(app))
  t.equal(samples(text, 'DCGM_FI_DEV_GPU_UTIL').length, 1)
  t.same(samples(text, 'gpufleet_agent_gpu_data_stale'), [{ labels: {}, value: 0 }])
  t.same(samples(text, 'gpufleet_agent_last_sample_age_seconds'), [{ labels: {}, value: 0.5 }])

  source.snapshot = null
  ;({ text } = await scrape(app))
  t.same(samples(text, 'DCGM_FI_DEV_GPU_UTIL'), [])
  t.same(samples(text, 'gpufleet_agent_last_sample_age_seconds'), [{ labels: {}, value: Infinity }], '+Inf before the first sample, so age alerts fire')
})

t.test("the agent's own metrics follow the collector and uplink totals", async t => {
  const clock = fakeClock(SEED_TIME)
  const source = fakeSource()
  let stats = uplinkStats()
  const metrics = createAgentMetrics({ source, uplinkStats: () => stats, hostname: 'h1', staleAfterMs: 10_000, now: clock.now, version: '9.9.9' })
  let text = await metrics.render()
  const one = (name: string) => samples(text, name)[0]?.value
  t.equal(one('gpufleet_agent_up'), 1)
  t.same(samples(text, 'gpufleet_agent_info'), [{ labels: { version: '9.9.9', Hostname: 'h1' }, value: 1 }])
  t.equal(one('gpufleet_agent_collector_restarts_total'), 2)
  t.equal(one('gpufleet_agent_parse_errors_total'), 5)
  t.equal(one('gpufleet_agent_spool_bytes'), 4096)
  t.equal(one('gpufleet_agent_spool_samples'), 16)
  t.equal(one('gpufleet_agent_spool_dropped_samples_total'), 3)
  t.equal(one('gpufleet_agent_push_failures_total'), 4)
  t.equal(one('gpufleet_agent_pushed_samples_total'), 1200)
  t.equal(one('gpufleet_agent_rejected_samples_total'), 0, 'none rejected yet (and an uplink that does not say counts none)')
  for (const name of ['collector_restarts_total', 'parse_errors_total', 'spool_dropped_samples_total', 'push_failures_total', 'pushed_samples_total', 'rejected_samples_total']) {
    t.match(text, new RegExp(`^# TYPE gpufleet_agent_${name} counter$`, 'm'), `${name} is a counter`)
  }
  t.match(text, /^gpufleet_agent_process_resident_memory_bytes \d+/m, 'process metrics carry the prefix')

  // Totals move; each scrape shows the source's current absolute value, not a sum of scrapes.
  source.healthState = { ...source.healthState, restarts: 3 }
  stats = uplinkStats({ pushedSamples: 1208, spoolSamples: 0, rejectedSamples: 24 })
  text = await metrics.render()
  t.equal(one('gpufleet_agent_rejected_samples_total'), 24, 'rows the control plane refused or skipped')
  t.equal(one('gpufleet_agent_collector_restarts_total'), 3)
  t.equal(one('gpufleet_agent_pushed_samples_total'), 1208)
  t.equal(one('gpufleet_agent_spool_samples'), 0)
  text = await metrics.render()
  t.equal(one('gpufleet_agent_collector_restarts_total'), 3, 'a second scrape does not add again')
})

t.test('two agents in one process keep separate registries', async t => {
  const a = createAgentMetrics({ source: fakeSource(), uplinkStats: () => uplinkStats(), hostname: 'a', staleAfterMs: 10_000, now: () => SEED_TIME, processMetrics: false })
  const b = createAgentMetrics({ source: fakeSource(null), uplinkStats: () => uplinkStats(), hostname: 'b', staleAfterMs: 10_000, now: () => SEED_TIME, processMetrics: false })
  t.equal(samples(await a.render(), 'DCGM_FI_DEV_GPU_UTIL').length, 1)
  t.equal(samples(await b.render(), 'DCGM_FI_DEV_GPU_UTIL').length, 0)
})

t.test('unauthenticated by default; with a metrics token, Bearer is required', async t => {
  const open = await agentHarness()
  t.equal((await scrape(open.app)).res.status, 200)

  const { app } = await agentHarness({ deps: { metricsToken: TOKEN } })
  const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]
  for (const headers of refused) {
    const { res, text } = await scrape(app, headers)
    t.equal(res.status, 401)
    t.match(JSON.parse(text), { statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: /Bearer/ })
    t.notMatch(text, /DCGM_/)
  }
  const { res, text } = await scrape(app, { authorization: `Bearer ${TOKEN}` })
  t.equal(res.status, 200)
  t.match(text, /DCGM_FI_DEV_GPU_UTIL\{/)
  t.equal((await app.request('/healthz')).status, 200, 'the token guards /metrics only')
})
