import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { defaultSimState, writeSimState } from '../sim-state.ts'
import { startFakeTriton } from './start-fake-triton.ts'
import type { FakeTritonOptions } from './start-fake-triton.ts'

async function start (t: Test, modelControlMode?: FakeTritonOptions['modelControlMode']) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(1))
  const triton = await startFakeTriton({ simStatePath, models: [{ name: 'resnet50', usedMemoryMib: 2_000 }], ...(modelControlMode === undefined ? {} : { modelControlMode }) })
  t.teardown(() => triton.close())
  const unload = (name: string) => fetch(`${triton.url}/v2/repository/models/${name}/unload`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  return { triton, unload }
}

// Triton's core refuses load/unload unless model control is explicit with Status::Code::UNAVAILABLE
// and this text (model_repository_manager.cc, LoadUnloadModel); the HTTP frontend maps
// UNAVAILABLE to 503 and sends {"error": message} (http_server.cc, HttpCodeFromError).
for (const mode of ['poll', 'none'] as const) {
  t.test(`--model-control-mode=${mode}: unload answers 503 with Triton's error body and unloads nothing`, async t => {
    const { triton, unload } = await start(t, mode)
    const res = await unload('resnet50')
    t.equal(res.status, 503)
    t.match(res.headers.get('content-type'), /^application\/json/)
    t.same(await res.json(), { error: 'explicit model load / unload is not allowed if polling is enabled' })
    t.same(triton.loaded(), ['resnet50'])
  })
}

t.test('explicit (the default): unload answers 200 with no body and unloads; an unknown name is 200 too', async t => {
  const { triton, unload } = await start(t)
  const res = await unload('resnet50')
  t.equal(res.status, 200)
  t.equal(await res.text(), '')
  t.same(triton.loaded(), [])
  t.equal((await unload('no-such-model')).status, 200, 'nothing to unload is no error to Triton')
})
