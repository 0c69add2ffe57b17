import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createTritonAdapter } from '../../../agent/purge/create-triton-adapter.ts'
import { defaultSimState, readSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeTriton } from '../../fakes/runtimes/start-fake-triton.ts'
import type { FakeTritonOptions } from '../../fakes/runtimes/start-fake-triton.ts'
import { closedUrl } from '../../helpers/closed-url.ts'

async function setup (t: Test, modelControlMode: FakeTritonOptions['modelControlMode'] = 'explicit') {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  const triton = await startFakeTriton({
    simStatePath,
    modelControlMode,
    models: [
      { name: 'resnet50', gpuIndex: 0, usedMemoryMib: 2_000 },
      { name: 'bert-large', gpuIndex: 1, usedMemoryMib: 5_000 },
    ],
  })
  t.teardown(() => triton.close())
  const processes = () => readSimState(simStatePath).processes
  return { triton, adapter: createTritonAdapter({ url: triton.url, metricsUrl: triton.metricsUrl }), processes }
}

t.test('lists READY models; busy from nv_inference_pending_request_count', async t => {
  const { adapter, triton, processes } = await setup(t)
  t.equal(adapter.name, 'triton')
  t.equal(new Set(processes().map(p => p.pid)).size, 1, 'one tritonserver process holds every model')
  triton.setBusy('bert-large', 2)
  const models = await adapter.list()
  t.same(models.map(m => [m.name, m.busy, m.busyReason]), [['resnet50', false, undefined], ['bert-large', true, '2 requests pending']])
  t.match(models[1]?.forceHint, /Triton lets its in-flight requests finish first/)
  t.same(triton.calls.find(c => c.path === '/v2/repository/index')?.method, 'POST')
})

t.test('unload frees the model memory and leaves it UNAVAILABLE', async t => {
  const { adapter, triton, processes } = await setup(t)
  const [resnet] = await adapter.list()
  t.equal(await adapter.unload(resnet!, { force: false }), 'unloaded resnet50 (triton)')
  t.ok(triton.calls.some(c => c.method === 'POST' && c.path === '/v2/repository/models/resnet50/unload'))
  t.same(processes().map(p => [p.gpuIndex, p.usedMemoryMib]), [[1, 5_000]])
  t.same((await adapter.list()).map(m => m.name), ['bert-large'])
})

t.test('unreadable metrics: models are treated as busy, not assumed idle', async t => {
  const { triton } = await setup(t)
  const metricsUrl = `${await closedUrl()}/metrics`
  const models = await createTritonAdapter({ url: triton.url, metricsUrl }).list()
  t.ok(models.every(m => m.busy))
  t.match(models[0]?.busyReason, /^in-flight requests unknown \(GET .*\/metrics failed/)
})

for (const mode of ['poll', 'none'] as const) {
  t.test(`--model-control-mode=${mode}: Triton refuses with 503 UNAVAILABLE; reported as not unloaded, with the fix`, async t => {
    const { adapter, triton, processes } = await setup(t, mode)
    const [resnet] = await adapter.list()
    await t.rejects(adapter.unload(resnet!, { force: false }), {
      message: 'triton resnet50: not unloaded, Triton refuses to unload models unless it runs with --model-control-mode=explicit ' +
        '(HTTP 503 UNAVAILABLE: explicit model load / unload is not allowed if polling is enabled); ' +
        'restart tritonserver with --model-control-mode=explicit (and --load-model=* to load the whole repository at start), or stop it',
    })
    t.ok(triton.calls.some(c => c.path === '/v2/repository/models/resnet50/unload'), 'the unload was really asked for')
    t.same(processes().map(p => [p.gpuIndex, p.usedMemoryMib]), [[0, 2_000], [1, 5_000]], 'nothing was freed')
    t.same((await adapter.list()).map(m => m.name), ['resnet50', 'bert-large'], 'and the model is still READY')
  })
}

t.test('an unknown model: Triton has nothing to unload and answers 200, as the real one does', async t => {
  const { adapter, processes } = await setup(t)
  t.equal(await adapter.unload({ runtime: 'triton', name: 'nope', busy: false }, { force: false }), 'unloaded nope (triton)')
  t.equal(processes().length, 2, 'the loaded models are untouched')
})

t.test('an unreachable Triton makes list() throw naming the URL', async t => {
  const url = await closedUrl()
  await t.rejects(createTritonAdapter({ url }).list(), { message: new RegExp(`POST ${url}/v2/repository/index failed`) })
})
