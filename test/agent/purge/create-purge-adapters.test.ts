import t from 'tap'
import { parseAgentConfig } from '../../../agent/config.ts'
import { createPurgeAdapters } from '../../../agent/purge/create-purge-adapters.ts'

const source = { refreshComputeApps: async () => ({ readAt: 0, apps: [] }) }

t.test('one adapter per configured runtime, one per vLLM server, processes last and opt-in', async t => {
  const config = parseAgentConfig({
    ollamaUrl: 'http://127.0.0.1:11434',
    vllmUrls: 'http://127.0.0.1:8000,http://127.0.0.1:8001',
    tritonUrl: 'http://127.0.0.1:8100',
    purgeProcessAllow: 'python,/opt/train/bin/trainer',
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
