import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createOllamaAdapter } from '../../../agent/purge/create-ollama-adapter.ts'
import { defaultSimState, readSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeOllama } from '../../fakes/runtimes/start-fake-ollama.ts'
import { closedUrl } from '../../helpers/closed-url.ts'

async function setup (t: Test) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  const ollama = await startFakeOllama({
    simStatePath,
    models: [
      { name: 'qwen-3.5-27b', gpuIndex: 0, usedMemoryMib: 30_000 },
      { name: 'llama3.1:8b', gpuIndex: 1, usedMemoryMib: 6_000 },
    ],
  })
  t.teardown(() => ollama.close())
  const processMib = () => readSimState(simStatePath).processes.reduce((sum, p) => sum + p.usedMemoryMib, 0)
  return { simStatePath, ollama, adapter: createOllamaAdapter({ url: ollama.url }), processMib }
}

t.test('lists loaded models from /api/ps, none busy (Ollama has no in-flight counter)', async t => {
  const { adapter } = await setup(t)
  t.equal(adapter.name, 'ollama')
  t.equal(adapter.kind, 'runtime')
  const models = await adapter.list()
  t.same(models.map(m => [m.runtime, m.name, m.busy]), [['ollama', 'qwen-3.5-27b', false], ['ollama', 'llama3.1:8b', false]])
})

t.test('unload sends keep_alive 0 without a prompt and frees the model memory', async t => {
  const { adapter, ollama, processMib } = await setup(t)
  t.equal(processMib(), 36_000)
  const [qwen] = await adapter.list()
  const action = await adapter.unload(qwen!, { force: false })
  t.equal(action, 'unloaded qwen-3.5-27b (ollama)')
  t.match(ollama.calls.at(-1), { method: 'POST', path: '/api/generate', query: {}, body: { model: 'qwen-3.5-27b', keep_alive: 0 } })
  t.equal(processMib(), 6_000)
  t.same((await adapter.list()).map(m => m.name), ['llama3.1:8b'])
})

t.test('a model serving requests is unloaded once they finish, as Ollama does', async t => {
  const { adapter, ollama, processMib } = await setup(t)
  ollama.setBusy('qwen-3.5-27b', 2)
  const [qwen] = await adapter.list()
  await adapter.unload(qwen!, { force: false })
  t.equal(processMib(), 36_000, 'still held while requests are in flight')
  ollama.setBusy('qwen-3.5-27b', 0)
  t.equal(processMib(), 6_000)
})

t.test('a refused unload throws with Ollama\'s own error text', async t => {
  const { adapter } = await setup(t)
  await t.rejects(adapter.unload({ runtime: 'ollama', name: 'gone:latest', busy: false }, { force: false }),
    /ollama gone:latest: unload refused \(HTTP 404\): model 'gone:latest' not found/)
})

t.test('an unreachable Ollama makes list() throw naming the URL', async t => {
  const url = await closedUrl()
  const adapter = createOllamaAdapter({ url, timeoutMs: 5000 })
  await t.rejects(adapter.list(), { message: new RegExp(`GET ${url}/api/ps failed: .*ECONNREFUSED`) })
})
