import { join } from 'node:path'
import t from 'tap'
import { parseAgentConfig } from '../../../agent/config.ts'
import { createPurgeAdapters } from '../../../agent/purge/create-purge-adapters.ts'
import { defaultSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeVllm } from '../../fakes/runtimes/start-fake-vllm.ts'

const source = { refreshComputeApps: async () => ({ readAt: 0, apps: [] }) }

t.test('one adapter per configured runtime, one per vLLM server, processes last and opt-in', async t => {
  const config = parseAgentConfig({
    ollamaUrl: 'http://127.0.0.1:11434',
    vllmUrls: 'http://127.0.0.1:8000,http://127.0.0.1:8001',
    tritonUrl: 'http://127.0.0.1:8100',
    purgeProcessAllow: 'name:python,/opt/train/bin/trainer',
  })
  const adapters = createPurgeAdapters(config, { source })
  t.same(adapters.map(a => [a.name, a.kind, a.target]), [
    ['ollama', 'runtime', 'http://127.0.0.1:11434'],
    ['vllm', 'runtime', 'http://127.0.0.1:8000'],
    ['vllm', 'runtime', 'http://127.0.0.1:8001'],
    ['triton', 'runtime', 'http://127.0.0.1:8100'],
    ['process', 'process', undefined],
  ])
})

t.test('nothing configured: no adapters (and no process signalling)', async t => {
  t.same(createPurgeAdapters(parseAgentConfig({}), { source }), [])
})

t.test('--vllm-api-key and --vllm-sleep-level reach every vLLM adapter', async t => {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  const key = 'sk-fleet-vllm-key'
  const servers = await Promise.all([0, 1].map(i => startFakeVllm({ simStatePath, apiKey: key, models: [{ name: `m${i}`, gpuIndex: i, usedMemoryMib: 1000 }] })))
  t.teardown(() => Promise.all(servers.map(s => s.close())))
  const adapters = createPurgeAdapters(parseAgentConfig({ vllmUrls: servers.map(s => s.url).join(','), vllmApiKey: key, vllmSleepLevel: '2' }), { source })
  for (const adapter of adapters) {
    const [model] = await adapter.list()
    t.equal(await adapter.unload(model!, { force: false }), `slept vllm model ${model!.name} (level 2)`)
  }
  t.same(servers.map(s => s.sleepLevel()), [2, 2])
})
