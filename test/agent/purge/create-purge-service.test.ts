import { Writable } from 'node:stream'
import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import type { Test } from 'tap'
import { createOllamaAdapter } from '../../../agent/purge/create-ollama-adapter.ts'
import { createProcessAdapter } from '../../../agent/purge/create-process-adapter.ts'
import { createPurgeService } from '../../../agent/purge/create-purge-service.ts'
import type { PurgeServiceOptions } from '../../../agent/purge/create-purge-service.ts'
import { createTritonAdapter } from '../../../agent/purge/create-triton-adapter.ts'
import { createVllmAdapter } from '../../../agent/purge/create-vllm-adapter.ts'
import type { PurgeAdapter } from '../../../shared/wire/purge-types.ts'
import { HttpError } from '../../../shared/http-error.ts'
import { defaultSimState, updateSimState, writeSimState } from '../../fakes/sim-state.ts'
import { startFakeOllama } from '../../fakes/runtimes/start-fake-ollama.ts'
import { startFakeTriton } from '../../fakes/runtimes/start-fake-triton.ts'
import { startFakeVllm } from '../../fakes/runtimes/start-fake-vllm.ts'
import { closedUrl } from '../../helpers/closed-url.ts'
import { createSimGpuSource } from '../../helpers/sim-gpu-source.ts'
import { spawnDummy } from '../../helpers/spawn-dummy.ts'
import { spawnSleeper } from '../../helpers/spawn-sleeper.ts'

/** A real pino writing into an array, so tests read what was logged. */
function captureLog () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write (chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

/**
 * A host of two 80 GB GPUs: 1 GiB of driver memory each, Ollama (qwen on GPU 0), vLLM
 * (llama-3-70b over both GPUs) and Triton (resnet50 on GPU 1) loaded.
 */
async function host (t: Test) {
  const simStatePath = join(t.testdir(), 'sim.json')
  const state = defaultSimState(2)
  for (const gpu of state.gpus) {
    gpu.memoryTotalMib = 81_920
    gpu.memoryBaseUsedMib = 1024
  }
  writeSimState(simStatePath, state)
  const ollama = await startFakeOllama({ simStatePath, models: [{ name: 'qwen-3.5-27b', gpuIndex: 0, usedMemoryMib: 20_000 }] })
  const vllm = await startFakeVllm({ simStatePath, models: [{ name: 'llama-3-70b', gpuIndex: [0, 1], usedMemoryMib: 40_000 }] })
  const triton = await startFakeTriton({ simStatePath, models: [{ name: 'resnet50', gpuIndex: 1, usedMemoryMib: 2_048 }] })
  t.teardown(() => Promise.all([ollama.close(), vllm.close(), triton.close()]))
  const source = createSimGpuSource(simStatePath)
  const adapters: PurgeAdapter[] = [
    createOllamaAdapter({ url: ollama.url }),
    createVllmAdapter({ url: vllm.url }),
    createTritonAdapter({ url: triton.url, metricsUrl: triton.metricsUrl }),
  ]
  const { log, lines } = captureLog()
  const service = (extra: Partial<PurgeServiceOptions> = {}) =>
    createPurgeService({ source, adapters, settleMs: 10_000, pollMs: 20, log, ...extra })
  return { simStatePath, ollama, vllm, triton, source, adapters, service, lines }
}

t.test('all idle: everything unloaded, seed 004 shape, memory back to the driver floor', async t => {
  const { service, lines } = await host(t)
  const result = await service().purge({ force: false })
  t.same(Object.keys(result).sort(), [
    'actions', 'errors', 'force', 'memory_after', 'memory_before', 'memory_freed_gb', 'models_left_loaded',
    'models_unloaded', 'recommendation', 'settled', 'status', 'timestamp',
  ])
  t.equal(result.status, 'success')
  t.match(result.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  // 2×1024 driver + 20000 + 2×40000 + 2048 = 104096 MiB of 163840.
  t.same(result.memory_before, { used_gb: 101.7, total_gb: 160, percent_used: 63.5 })
  t.same(result.memory_after, { used_gb: 2, total_gb: 160, percent_used: 1.3 })
  t.equal(result.memory_freed_gb, 99.7)
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'llama-3-70b', 'resnet50'])
  t.same(result.actions, ['unloaded qwen-3.5-27b (ollama)', 'slept vllm model llama-3-70b (level 1)', 'unloaded resnet50 (triton)'])
  t.same(result.errors, [])
  t.same(result.models_left_loaded, [])
  t.equal(result.settled, true)
  t.equal(result.force, false)
  t.equal(result.recommendation, 'GPU memory cleared successfully')
  t.match(lines.at(-1), { level: 30, msg: 'gpu purge finished', freedGb: 99.7 })
})

t.test('a busy vLLM without force is left loaded and listed in errors; the rest is purged', async t => {
  const { service, vllm } = await host(t)
  vllm.setBusy({ running: 3, waiting: 1 })
  const result = await service().purge({ force: false })
  t.same(result.errors, ['vllm llama-3-70b: 3 requests running, 1 waiting; left loaded (pass force: true to abort them)'])
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'resnet50'])
  t.same(result.models_left_loaded, ['llama-3-70b'])
  t.notOk(vllm.calls.some(c => c.path === '/sleep'), 'never asked to sleep')
  t.equal(vllm.sleeping(), false)
  t.equal(result.status, 'success')
  t.equal(result.settled, true)
  t.same(result.memory_after, { used_gb: 80.1, total_gb: 160, percent_used: 50.1 })
  t.equal(result.recommendation, '1 model in use was left loaded (vllm llama-3-70b): retry with force: true to stop its requests and unload it.')
})

t.test('with force the busy vLLM is slept in abort mode', async t => {
  const { service, vllm } = await host(t)
  vllm.setBusy({ running: 3, waiting: 1 })
  const result = await service().purge({ force: true })
  t.same(vllm.calls.find(c => c.path === '/sleep')?.query, { level: '1', mode: 'abort' })
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'llama-3-70b', 'resnet50'])
  t.ok(result.actions.includes('slept vllm model llama-3-70b (level 1, aborted 3 running + 1 waiting requests)'))
  t.same(result.errors, [])
  t.equal(result.force, true)
  t.equal(result.recommendation, 'GPU memory cleared successfully')
})

t.test('one purge at a time: a second one while the first runs is a 409', async t => {
  const { service, ollama } = await host(t)
  const purge = service()
  ollama.hold()
  const first = purge.purge({ force: false })
  // Poll (generously bounded) until the first purge is inside a runtime call.
  for (let i = 0; i < 500 && !ollama.calls.some(c => c.path === '/api/ps'); i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.ok(purge.running())
  await t.rejects(purge.purge({ force: true }), new HttpError(409, 'PURGE_IN_PROGRESS', 'a GPU purge is already running on this node; wait for it to finish'))
  ollama.release()
  t.equal((await first).status, 'success')
  t.notOk(purge.running())
  t.equal((await purge.purge({ force: false })).status, 'success', 'the next one runs')
})

t.test('an unreachable runtime is an error entry; the purge still succeeds', async t => {
  const { source, adapters, lines } = await host(t)
  const deadUrl = await closedUrl()
  const { log } = captureLog()
  const service = createPurgeService({ source, adapters: [createVllmAdapter({ url: deadUrl }), ...adapters], settleMs: 10_000, pollMs: 20, log })
  const result = await service.purge({ force: false })
  t.equal(result.status, 'success')
  t.equal(result.errors.length, 1)
  t.match(result.errors[0], new RegExp(`^vllm at ${deadUrl}: could not list loaded models: GET ${deadUrl}/v1/models failed`))
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'llama-3-70b', 'resnet50'])
  t.equal(result.recommendation, `Could not query vllm (${deadUrl}): check that it is running and reachable from the agent, then purge again.`)
  t.same(lines, [], 'the other service\'s log stays empty')
})

t.test('allow-listed processes are signalled after the runtimes; others are named, not touched', async t => {
  const { simStatePath, source, adapters, service } = await host(t)
  const job = await spawnDummy(t)
  const stranger = await spawnSleeper(t)
  updateSimState(simStatePath, s => {
    s.processes.push({ gpuIndex: 0, pid: job.pid, name: 'python', usedMemoryMib: 10_240, followPid: true })
    s.processes.push({ gpuIndex: 1, pid: stranger.pid, name: '/opt/train/bin/trainer', usedMemoryMib: 30_720, followPid: true })
  })
  const processAdapter = createProcessAdapter({ source, allow: [process.execPath], graceMs: 10_000, pollMs: 20 })
  const result = await service({ adapters: [processAdapter, ...adapters] }).purge({ force: false })
  t.same(result.actions.at(-1), `sent SIGTERM to pid ${job.pid} (python); it exited`, 'processes come after the runtimes')
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'llama-3-70b', 'resnet50', `python (pid ${job.pid})`])
  t.equal(await job.exited, 'SIGTERM')
  t.ok(stranger.alive())
  t.same(result.errors, [])
  t.equal(result.recommendation, `GPU memory is still held by processes purge does not manage; the biggest is pid ${stranger.pid} (trainer, 30.0 GB). Stop it, or add its executable to --purge-process-allow (a full path, or name:<file>) so purge may terminate it.`)
})

t.test('Triton in --model-control-mode=poll: the model is reported left loaded, not unloaded', async t => {
  const { simStatePath, source, ollama, vllm } = await host(t)
  const polling = await startFakeTriton({ simStatePath, modelControlMode: 'poll', models: [{ name: 'bert-large', gpuIndex: 1, usedMemoryMib: 5_000 }] })
  t.teardown(() => polling.close())
  const { log } = captureLog()
  const adapters = [createOllamaAdapter({ url: ollama.url }), createVllmAdapter({ url: vllm.url }), createTritonAdapter({ url: polling.url, metricsUrl: polling.metricsUrl })]
  const result = await createPurgeService({ source, adapters, settleMs: 10_000, pollMs: 20, log }).purge({ force: true })
  t.notOk(result.models_unloaded.includes('bert-large'))
  t.same(result.models_left_loaded, ['bert-large'])
  t.same(result.errors, ['triton bert-large: not unloaded, Triton refuses to unload models unless it runs with --model-control-mode=explicit (HTTP 503 UNAVAILABLE: explicit model load / unload is not allowed if polling is enabled); restart tritonserver with --model-control-mode=explicit (and --load-model=* to load the whole repository at start), or stop it'])
  t.equal(result.recommendation, '1 unload failed (triton bert-large): fix the cause listed in errors, then purge again.')
  t.same(polling.loaded(), ['bert-large'])
})

t.test('a process surviving SIGTERM without force: error and a force hint', async t => {
  const { simStatePath, source, service } = await host(t)
  const stubborn = await spawnDummy(t, { ignoreSigterm: true })
  updateSimState(simStatePath, s => { s.processes.push({ gpuIndex: 0, pid: stubborn.pid, name: 'python', usedMemoryMib: 4096, followPid: true }) })
  const adapters = [createProcessAdapter({ source, allow: [process.execPath], graceMs: 300, pollMs: 20 })]
  const result = await service({ adapters }).purge({ force: false })
  t.same(result.errors, [`pid ${stubborn.pid} (python) did not exit after SIGTERM within 0.3s; retry with force`])
  t.same(result.models_left_loaded, [`python (pid ${stubborn.pid})`])
  t.match(result.recommendation, /^1 unload failed \(process python \(pid \d+\)\): retry with force: true/)
  t.ok(stubborn.alive())
})

t.test('nothing loaded anywhere', async t => {
  const { source, simStatePath } = await host(t)
  const empty = await startFakeOllama({ simStatePath, models: [] })
  t.teardown(() => empty.close())
  const { log } = captureLog()
  const none = await createPurgeService({ source, adapters: [], settleMs: 1000, log }).purge({ force: false })
  t.match(none.recommendation, /^Nothing was loaded: no model runtime is configured on this agent \(--ollama-url, --vllm-urls/)
  t.same(none.models_unloaded, [])
  t.equal(none.settled, true, 'nothing to wait for')
  const idle = await createPurgeService({ source, adapters: [createOllamaAdapter({ url: empty.url })], settleMs: 1000, log }).purge({ force: false })
  // The other fakes' models are processes this purge has no adapter for: named, biggest first.
  t.match(idle.recommendation, /^Nothing was loaded: no configured runtime reported a model and no allow-listed process held GPU memory\. GPU memory is still held by processes purge does not manage \(3 processes, 99\.7 GB in all\); the biggest is pid \d+ \(VLLM::EngineCore, 78\.1 GB\)\./)
})

t.test('memory released after the runtime answered: the settle wait sees it go', async t => {
  const { service, ollama, source } = await host(t)
  ollama.setBusy('qwen-3.5-27b', 1) // Ollama unloads once this request finishes
  let clock = 0
  let sleeps = 0
  const sleep = async (ms: number) => {
    clock += ms
    if (++sleeps === 3) ollama.setBusy('qwen-3.5-27b', 0)
  }
  const readsBefore = source.reads()
  const result = await service({ now: () => clock, sleep, settleMs: 10_000, pollMs: 500 }).purge({ force: false })
  t.equal(result.settled, true)
  t.same(result.memory_after, { used_gb: 2, total_gb: 160, percent_used: 1.3 })
  t.ok(source.reads() - readsBefore >= 4, 'kept reading until the memory went')
})

t.test('process memory nvidia-smi cannot see (containers): no floor, the runtimes still decide', async t => {
  const { service, ollama, source } = await host(t)
  // Compute apps without memory figures, as nvidia-smi prints [N/A] inside some containers.
  const blind = { ...source, refreshComputeApps: async () => ({ readAt: 0, apps: [{ gpuUuid: 'GPU-x', pid: 5_200_000, processName: 'ollama', usedMemoryMib: null }] }) }
  ollama.setBusy('qwen-3.5-27b', 1)
  let clock = 0
  let sleeps = 0
  const sleep = async (ms: number) => {
    clock += ms
    if (++sleeps === 3) ollama.setBusy('qwen-3.5-27b', 0)
  }
  const result = await service({ source: blind, now: () => clock, sleep, settleMs: 10_000, pollMs: 500 }).purge({ force: false })
  t.equal(result.settled, true)
  t.same(result.memory_after, { used_gb: 2, total_gb: 160, percent_used: 1.3 }, 'did not stop at the first read')
})

t.test('memory that never settles: the wait is bounded and says so', async t => {
  const { service, ollama, source } = await host(t)
  ollama.setBusy('qwen-3.5-27b', 1) // never finishes: Ollama never frees it
  let clock = 0
  const readsBefore = source.reads()
  const result = await service({ now: () => clock, sleep: async ms => { clock += ms }, settleMs: 5000, pollMs: 500 }).purge({ force: false })
  t.equal(result.settled, false)
  t.ok(source.reads() - readsBefore <= 5000 / 500 + 2, 'bounded by settleMs / pollMs')
  t.same(result.models_unloaded, ['qwen-3.5-27b', 'llama-3-70b', 'resnet50'], 'Ollama accepted the unload')
  // vLLM and Triton gave theirs back; qwen's 20000 MiB is still held.
  t.same(result.memory_after, { used_gb: 21.5, total_gb: 160, percent_used: 13.5 })
  t.match(result.recommendation, /GPU memory had not settled when the purge stopped waiting \(5s\)/)
})

t.test('nvidia-smi failing is a 503 GPU_READ_FAILED, and the lock is released', async t => {
  const { service, source, vllm } = await host(t)
  const purge = service()
  source.setReadError(new Error('nvidia-smi exited with code 9'))
  await t.rejects(purge.purge({ force: false }), { status: 503, code: 'GPU_READ_FAILED', message: /before the purge: nvidia-smi exited with code 9/ })
  t.equal(vllm.calls.length, 0, 'nothing unloaded without a before reading')
  t.notOk(purge.running())
  source.setReadError(null)
  t.equal((await purge.purge({ force: false })).status, 'success')
})
