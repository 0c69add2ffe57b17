import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createTritonAdapter } from '../../../agent/purge/create-triton-adapter.ts'
import { defaultSimState, readSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeTriton } from '../../fakes/runtimes/start-fake-triton.ts'
import { closedUrl } from '../../helpers/closed-url.ts'

async function setup (t: Test, explicitMode = true) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(2))
  const triton = await startFakeTriton({
    simStatePath,
    explicitMode,
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

t.test('Triton not in explicit model-control mode: the error says how to start it', async t => {
  const { adapter } = await setup(t, false)
  const [resnet] = await adapter.list()
  await t.rejects(adapter.unload(resnet!, { force: false }), /triton resnet50: unload refused \(HTTP 400\): .*\(start tritonserver with --model-control-mode=explicit\)/)
})

t.test('an unknown model: Triton\'s error text', async t => {
  const { adapter } = await setup(t)
  await t.rejects(adapter.unload({ runtime: 'triton', name: 'nope', busy: false }, { force: false }), /failed to unload 'nope', no version is available/)
})

t.test('an unreachable Triton makes list() throw naming the URL', async t => {
  const url = await closedUrl()
  await t.rejects(createTritonAdapter({ url }).list(), { message: new RegExp(`POST ${url}/v2/repository/index failed`) })
})
