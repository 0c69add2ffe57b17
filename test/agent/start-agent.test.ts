import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import pino from 'pino'
import { parseAgentConfig } from '../../agent/config.ts'
import { startAgent } from '../../agent/start-agent.ts'
import { startControlPlaneSink } from '../fakes/control-plane-sink.ts'
import { startFakeOllama } from '../fakes/runtimes/start-fake-ollama.ts'
import { defaultSimState, writeSimState } from '../fakes/sim-state.ts'
import { SIMULATOR_PATH } from '../../bin/simulator-path.ts'
import { spawnAgent } from '../helpers/spawn-agent.ts'
import { simAgentConfig } from '../helpers/sim-agent-config.ts'

// The whole agent wired as main wires it: real collector on the simulator, real purge with a
// fake Ollama that holds GPU memory in the simulator's state, real uplink to a sink.
// Real processes on a shared box: more than tap's default.
t.setTimeout(300_000)
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

  const config = simAgentConfig(dir, {
    controlPlane: sink.url,
    apiKey: AGENT_KEY,
    cluster: 'test',
    intervalMs: 200,
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

t.test('SIGTERM with slow clients connected: the drain is bounded, the uplink flushes, the agent exits', async t => {
  // A real `gpufleet agent` process: what systemd stops. Two clients that would hold a plain
  // server.close() for minutes: an idle keep-alive connection and one trickling a request
  // (headers, then a body, a few bytes a second: Node's own timeouts are 60 s and 300 s).
  const sink = await startControlPlaneSink({ apiKey: AGENT_KEY })
  t.teardown(() => sink.close())
  const stateDir = join(t.testdir(), 'state')
  const agent = await spawnAgent({ controlPlane: sink.url, apiKey: AGENT_KEY, stateDir, args: ['--interval-ms', '200'] })
  t.teardown(() => { agent.run.child.kill('SIGKILL') })
  await until(async () => (await agent.metrics()).gpufleet_agent_pushed_samples_total! > 0 ? true : undefined, 60_000)

  const { hostname, port } = new URL(agent.url)
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.destroy() })
  const connect = () => new Promise<Socket>(resolve => {
    const s = createConnection({ host: hostname, port: Number(port) }, () => resolve(s))
    s.on('error', () => {})
    sockets.push(s)
  })
  const keepAlive = await connect()
  const answered = new Promise<string>(resolve => keepAlive.once('data', chunk => resolve(String(chunk))))
  keepAlive.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`)
  t.match(await answered, /^HTTP\/1\.1 200/, 'the keep-alive client got its answer and keeps the connection open')
  const headerTrickle = await connect()
  headerTrickle.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\n`)
  const bodyTrickle = await connect()
  bodyTrickle.write(`POST /v1/gpu/purge HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{`)
  const trickle = setInterval(() => { headerTrickle.write('X-Slow: 1\r\n'); bodyTrickle.write(' ') }, 500)
  t.teardown(() => clearInterval(trickle))

  // The newest tick the agent has: after the stop it must be stored or in the spool.
  const health = await (await fetch(`${agent.url}/healthz`)).json() as { recorded_at: string }
  const newest = Date.parse(health.recorded_at)
  agent.run.child.kill('SIGTERM')
  // A hang detector, not a timing assertion: a stop bounded by its own deadlines takes
  // seconds; an unbounded one waits out Node's 300 s request timeout.
  // (Cleared once the race is decided: a pending timer kept this file's process alive 90 s
  // after its last test.)
  let hang: NodeJS.Timeout | undefined
  const exit = await Promise.race([agent.run.exited, new Promise<null>(resolve => { hang = setTimeout(resolve, 90_000, null) })])
  clearTimeout(hang)
  t.not(exit, null, 'the agent exited while the slow clients were still connected')
  t.same(exit, { code: 0, signal: null }, 'a clean stop')

  const spooled = readdirSync(join(stateDir, 'spool')).flatMap(f => readFileSync(join(stateDir, 'spool', f), 'utf8').split('\n'))
    .filter(l => l !== '').flatMap(l => (JSON.parse(l) as { rows: Array<{ recorded_at: string }> }).rows)
  const kept = [...sink.rows(), ...spooled].map(r => Date.parse(r.recorded_at!))
  t.ok(kept.some(at => at >= newest), 'the newest tick before SIGTERM was pushed or spooled: the uplink flushed')
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
