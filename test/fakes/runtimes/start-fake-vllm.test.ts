import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { defaultSimState, readSimState, writeSimState } from '../sim-state.ts'
import { startFakeVllm } from './start-fake-vllm.ts'
import type { FakeVllmOptions } from './start-fake-vllm.ts'

const KEY = 'sk-fake-vllm-key'

async function start (t: Test, extra: Partial<FakeVllmOptions> = {}) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, defaultSimState(1))
  const vllm = await startFakeVllm({ simStatePath, models: [{ name: 'qwen', usedMemoryMib: 30_000 }], ...extra })
  t.teardown(() => vllm.close())
  const call = (method: string, path: string, key?: string) =>
    fetch(`${vllm.url}${path}`, { method, headers: key === undefined ? {} : { authorization: `Bearer ${key}` } })
  const mib = () => readSimState(simStatePath).processes.reduce((sum, p) => sum + p.usedMemoryMib, 0)
  return { vllm, call, mib }
}

// vLLM's AuthenticationMiddleware: 401 {"error":"Unauthorized"} without the bearer key on a
// guarded route; /health, /ping, /load, /version and /metrics stay public.
t.test('--api-key: guarded routes answer 401 without the key, public ones stay open', async t => {
  const { call } = await start(t, { apiKey: KEY })
  for (const [method, path] of [['GET', '/v1/models'], ['GET', '/is_sleeping'], ['POST', '/sleep?level=1'], ['POST', '/wake_up']]) {
    const res = await call(method!, path!)
    t.equal(res.status, 401, `${method} ${path}`)
    t.same(await res.json(), { error: 'Unauthorized' })
    t.equal((await call(method!, path!, 'sk-wrong')).status, 401, `${method} ${path} with a wrong key`)
  }
  t.equal((await call('GET', '/metrics')).status, 200)
  t.equal((await call('GET', '/health')).status, 200)
  t.equal((await call('GET', '/v1/models', KEY)).status, 200)
  t.equal((await call('GET', '/is_sleeping', KEY)).status, 200)
})

t.test('without dev mode the sleep routes do not exist: 404 with FastAPI\'s body, key or not', async t => {
  const { call } = await start(t, { apiKey: KEY, devMode: false })
  for (const key of [undefined, KEY]) {
    const res = await call('POST', '/sleep?level=1', key)
    t.equal(res.status, 404)
    t.same(await res.json(), { detail: 'Not Found' })
  }
})

t.test('sleep levels 1 and 2 both free the memory and are recorded', async t => {
  for (const level of [1, 2]) {
    const { vllm, call, mib } = await start(t)
    t.equal(mib(), 30_000)
    t.equal((await call('POST', `/sleep?level=${level}&mode=abort`)).status, 200)
    t.equal(vllm.sleepLevel(), level)
    t.equal(mib(), 0)
  }
})
