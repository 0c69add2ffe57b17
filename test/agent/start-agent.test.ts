import t from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { parseAgentConfig } from '../../agent/config.ts'
import { startAgent } from '../../agent/start-agent.ts'
import { startControlPlaneSink } from '../fakes/control-plane-sink.ts'
import { startFakeOllama } from '../fakes/runtimes/start-fake-ollama.ts'
import { defaultSimState, writeSimState } from '../fakes/sim-state.ts'
import { SIMULATOR_PATH } from '../../bin/simulator-path.ts'

// The whole agent wired as main wires it: real collector on the simulator, real purge with a
// fake Ollama that holds GPU memory in the simulator's state, real uplink to a sink.
const AGENT_KEY = 'gfk_agent_ingest_key_for_tests_0000000000000000'
const OPERATOR_KEY = 'gfk_operator_superadmin_key_for_tests_00000000'

async function until<T> (fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(r => setTimeout(r, 50))
  }
}

t.test('startAgent: status, purge and push through the real collector', async t => {
  const dir = t.testdir()
  const statePath = join(dir, 'sim.json')
  writeSimState(statePath, defaultSimState(8))
  const ollama = await startFakeOllama({ simStatePath: statePath, models: [{ name: 'qwen-3.5-27b', gpuIndex: 0, usedMemoryMib: 40960 }] })
  t.teardown(() => ollama.close())
  const sink = await startControlPlaneSink({ apiKey: AGENT_KEY, operatorKeys: { [OPERATOR_KEY]: ['superadmin'] } })
  t.teardown(() => sink.close())

  const config = parseAgentConfig({
    listen: '127.0.0.1:0',
    controlPlane: sink.url,
    apiKey: AGENT_KEY,
    cluster: 'test',
    stateDir: join(dir, 'state'),
    nvidiaSmi: SIMULATOR_PATH,
    intervalMs: 200,
    computeAppsIntervalMs: 500,
    ollamaUrl: ollama.url,
    purgeSettleMs: 5000,
  })
  const agent = await startAgent(config, { env: { ...process.env, NVIDIA_SMI_SIM_STATE: statePath }, log: pino({ level: 'silent' }) })
  let stopped = false
  t.teardown(async () => { if (!stopped) await agent.stop() })
  const auth = { authorization: `Bearer ${OPERATOR_KEY}` }

  const status = await until(async () => {
    const res = await fetch(`${agent.url}/v1/gpu/status`, { headers: auth })
    if (res.status !== 200) return undefined
    const body = await res.json() as { gpus: Array<{ index: number, memory: { used_mb: number } }>, processes: Array<{ name: string, memory_mb: number }> }
    return body.processes.length > 0 ? body : undefined
  })
  t.equal(status.gpus.length, 8)
  t.equal(status.gpus[0]?.memory.used_mb, 40960, 'the model holds 40 GiB on GPU 0')
  t.same(status.processes.map(p => [p.name, p.memory_mb]), [['/usr/local/bin/ollama', 40960]])

  const purge = await fetch(`${agent.url}/v1/gpu/purge`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"force":false}' })
  t.equal(purge.status, 200)
  const result = await purge.json() as { models_unloaded: string[], memory_before: { used_gb: number }, memory_after: { used_gb: number }, memory_freed_gb: number, errors: string[], recommendation: string }
  t.same(result.models_unloaded, ['qwen-3.5-27b'])
  t.equal(result.memory_before.used_gb, 40)
  t.equal(result.memory_after.used_gb, 0, 'memory_after is a fresh nvidia-smi read after the unload')
  t.equal(result.memory_freed_gb, 40)
  t.same(result.errors, [])
  t.equal(result.recommendation, 'GPU memory cleared successfully')

  await until(() => sink.rows().length >= 16 ? true : undefined)
  await agent.stop()
  stopped = true
  t.equal(sink.duplicates(), 0)
  t.ok(sink.nodes().length >= 1, 'the node registered')
})

t.test('listening on 0.0.0.0: the agent registers a routable URL with its real port, never 0.0.0.0 (issue 12)', async t => {
  const dir = t.testdir()
  const statePath = join(dir, 'sim.json')
  writeSimState(statePath, defaultSimState(2))
  const sink = await startControlPlaneSink({ apiKey: AGENT_KEY })
  t.teardown(() => sink.close())
  const agent = await startAgent(parseAgentConfig({
    listen: '0.0.0.0:0', controlPlane: sink.url, apiKey: AGENT_KEY, cluster: 'test', stateDir: join(dir, 'state'), nvidiaSmi: SIMULATOR_PATH,
  }), { env: { ...process.env, NVIDIA_SMI_SIM_STATE: statePath }, log: pino({ level: 'silent' }) })
  t.teardown(() => agent.stop())
  const node = await until(() => sink.nodes().find(n => n.agent_url !== null), 60_000)
  // The sink listens on loopback, so the route toward it leaves from a loopback address.
  t.equal(node.agent_url, `http://127.0.0.1:${agent.port}`)
  t.equal(agent.advertisedUrl, node.agent_url)
  t.not(agent.port, 0)
})
