import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createVllmAdapter } from '../../../agent/purge/create-vllm-adapter.ts'
import { defaultSimState, readSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeVllm } from '../../fakes/runtimes/start-fake-vllm.ts'
import type { FakeVllmOptions } from '../../fakes/runtimes/start-fake-vllm.ts'
import { closedUrl } from '../../helpers/closed-url.ts'

async function setup (t: Test, extra: Partial<FakeVllmOptions> = {}) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  // Tensor parallel over both GPUs, 70 GB each.
  const vllm = await startFakeVllm({ simStatePath, models: [{ name: 'llama-3-70b', gpuIndex: [0, 1], usedMemoryMib: 70_000 }], ...extra })
  t.teardown(() => vllm.close())
  const processMib = () => readSimState(simStatePath).processes.reduce((sum, p) => sum + p.usedMemoryMib, 0)
  return { vllm, adapter: createVllmAdapter({ url: vllm.url }), processMib }
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
  const { adapter, processMib } = await setup(t, { devMode: false })
  const [model] = await adapter.list()
  t.equal(model?.name, 'llama-3-70b')
  await t.rejects(adapter.unload(model!, { force: false }), /has no \/sleep endpoint; start vLLM with --enable-sleep-mode and VLLM_SERVER_DEV_MODE=1/)
  t.equal(processMib(), 140_000)
})

t.test('an unreachable server makes list() throw naming the URL', async t => {
  const url = await closedUrl()
  await t.rejects(createVllmAdapter({ url }).list(), { message: new RegExp(`GET ${url}/v1/models failed: .*ECONNREFUSED`) })
})
