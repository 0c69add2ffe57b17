import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createVllmAdapter } from '../../../agent/purge/create-vllm-adapter.ts'
import type { VllmAdapterOptions } from '../../../agent/purge/create-vllm-adapter.ts'
import { defaultSimState, readSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeVllm } from '../../fakes/runtimes/start-fake-vllm.ts'
import type { FakeVllmOptions } from '../../fakes/runtimes/start-fake-vllm.ts'
import { closedUrl } from '../../helpers/closed-url.ts'

async function setup (t: Test, extra: Partial<FakeVllmOptions> = {}, adapterOptions: Partial<VllmAdapterOptions> = {}) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  // Tensor parallel over both GPUs, 70 GB each.
  const vllm = await startFakeVllm({ simStatePath, models: [{ name: 'llama-3-70b', gpuIndex: [0, 1], usedMemoryMib: 70_000 }], ...extra })
  t.teardown(() => vllm.close())
  const processMib = () => readSimState(simStatePath).processes.reduce((sum, p) => sum + p.usedMemoryMib, 0)
  return { vllm, adapter: createVllmAdapter({ url: vllm.url, ...adapterOptions }), processMib }
}

t.test('an idle server lists its one model (LoRA adapters are not models of their own)', async t => {
  const { adapter } = await setup(t, { loraAdapters: ['sql-lora'] })
  t.equal(adapter.name, 'vllm')
  const models = await adapter.list()
  t.same(models.map(m => [m.runtime, m.name, m.busy]), [['vllm', 'llama-3-70b', false]])
})

t.test('busy = running + waiting from /metrics, summed over engines', async t => {
  const { adapter, vllm } = await setup(t, { engines: 2 })
  vllm.setBusy({ running: 3, waiting: 1 })
  const [model] = await adapter.list()
  t.equal(model?.busy, true)
  t.equal(model?.busyReason, '3 requests running, 1 waiting')
  vllm.setBusy({ running: 0, waiting: 1 })
  t.equal((await adapter.list())[0]?.busy, true, 'a waiting request alone is use')
  vllm.setBusy({ running: 0 })
  t.equal((await adapter.list())[0]?.busy, false)
})

t.test('unload without force sleeps level 1 in wait mode and frees the memory', async t => {
  const { adapter, vllm, processMib } = await setup(t)
  t.equal(processMib(), 140_000)
  const [model] = await adapter.list()
  t.equal(await adapter.unload(model!, { force: false }), 'slept vllm model llama-3-70b (level 1)')
  const sleep = vllm.calls.find(c => c.path === '/sleep')
  t.same(sleep?.query, { level: '1', mode: 'wait' })
  t.equal(vllm.sleeping(), true)
  t.equal(processMib(), 0)
  t.same(await adapter.list(), [], 'a sleeping server holds no model')
})

t.test('force aborts in-flight requests (mode=abort)', async t => {
  const { adapter, vllm, processMib } = await setup(t)
  vllm.setBusy({ running: 3, waiting: 1 })
  const [model] = await adapter.list()
  t.equal(await adapter.unload(model!, { force: true }), 'slept vllm model llama-3-70b (level 1, aborted 3 running + 1 waiting requests)')
  t.same(vllm.calls.find(c => c.path === '/sleep')?.query, { level: '1', mode: 'abort' })
  t.equal(processMib(), 0)
})

t.test('without dev-mode sleep endpoints: listed, and unload names the flags to set', async t => {
  const { adapter, vllm, processMib } = await setup(t, { devMode: false })
  const [model] = await adapter.list()
  t.equal(model?.name, 'llama-3-70b')
  await t.rejects(adapter.unload(model!, { force: false }), {
    message: `vllm llama-3-70b: ${vllm.url} has no /sleep endpoint (HTTP 404): restart vLLM with VLLM_SERVER_DEV_MODE=1 in its environment and --enable-sleep-mode so purge can release its memory, or stop that server`,
  })
  t.equal(processMib(), 140_000)
})

const KEY = 'sk-vllm-0123456789abcdef'

t.test('--vllm-api-key: sent as Authorization: Bearer on every call, so a keyed vLLM lists and sleeps', async t => {
  const { adapter, vllm, processMib } = await setup(t, { apiKey: KEY }, { apiKey: KEY })
  vllm.setBusy({ running: 2 })
  const [model] = await adapter.list()
  t.same([model?.name, model?.busy, model?.busyReason], ['llama-3-70b', true, '2 requests running, 0 waiting'])
  t.equal(await adapter.unload(model!, { force: true }), 'slept vllm model llama-3-70b (level 1, aborted 2 running + 0 waiting requests)')
  t.equal(processMib(), 0)
  t.same(await adapter.list(), [], 'asleep: /is_sleeping answered with the key')
  t.same([...new Set(vllm.calls.map(c => c.path))].sort(), ['/is_sleeping', '/metrics', '/sleep', '/v1/models'])
  t.ok(vllm.calls.every(c => c.headers.authorization === `Bearer ${KEY}`), 'every call carries the key')
})

t.test('a keyed vLLM without our key, or with a wrong one: the error names the flag, never the key', async t => {
  const { vllm } = await setup(t, { apiKey: KEY })
  const missing = createVllmAdapter({ url: vllm.url })
  await t.rejects(missing.list(), {
    message: `GET ${vllm.url}/v1/models answered HTTP 401: this vLLM requires an API key (it was started with --api-key or VLLM_API_KEY); give the agent the same key with --vllm-api-key`,
  })
  const wrong = createVllmAdapter({ url: vllm.url, apiKey: 'sk-wrong-key-000000' })
  const err = await wrong.list().catch((e: Error) => e)
  t.match(err, { message: /answered HTTP 401: this vLLM rejected the key from --vllm-api-key; set it to a key vLLM was started with/ })
  t.notMatch((err as Error).message, /sk-/, 'the key is not in the message')
  // Listed with the right key, then the key goes wrong (rotated on the vLLM side): unload says so.
  const [model] = await createVllmAdapter({ url: vllm.url, apiKey: KEY }).list()
  await t.rejects(wrong.unload(model!, { force: false }), /^vllm llama-3-70b: POST .*\/sleep\?level=1&mode=wait answered HTTP 401: this vLLM rejected the key from --vllm-api-key/)
})

t.test('a keyed vLLM without dev mode: /sleep is no route, so the answer is still the dev-mode 404', async t => {
  const { adapter } = await setup(t, { apiKey: KEY, devMode: false }, { apiKey: KEY })
  const [model] = await adapter.list()
  await t.rejects(adapter.unload(model!, { force: false }), /has no \/sleep endpoint \(HTTP 404\): restart vLLM with VLLM_SERVER_DEV_MODE=1 in its environment and --enable-sleep-mode/)
})

t.test('--vllm-sleep-level 2: POST /sleep?level=2 (weights discarded, not kept in CPU RAM)', async t => {
  const { adapter, vllm, processMib } = await setup(t, {}, { sleepLevel: 2 })
  const [model] = await adapter.list()
  t.equal(await adapter.unload(model!, { force: false }), 'slept vllm model llama-3-70b (level 2)')
  t.same(vllm.calls.find(c => c.path === '/sleep')?.query, { level: '2', mode: 'wait' })
  t.equal(vllm.sleepLevel(), 2)
  t.equal(processMib(), 0)
})

t.test('an unreachable server makes list() throw naming the URL', async t => {
  const url = await closedUrl()
  await t.rejects(createVllmAdapter({ url }).list(), { message: new RegExp(`GET ${url}/v1/models failed: .*ECONNREFUSED`) })
})
