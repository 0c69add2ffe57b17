import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findNvidiaSmi } from '../../bin/find-nvidia-smi.ts'
import { demoSimState } from '../../bin/simulator-demo-state.ts'
import { defaultSimState } from '../fakes/sim-state.ts'
import { pollUntil, runCli } from './run-cli.ts'
import { JOB_USER_ARGS, stopUp } from './up-system.ts'

t.test('the demo mix: GPUs 0-3 busy, 4 busy and hot, 5-7 idle; the simulator\'s default stays all idle', async t => {
  const mix = demoSimState()
  t.equal(mix.gpus.length, 8)
  t.same(mix.gpus.map(g => g.utilizationGpu > 10), [true, true, true, true, true, false, false, false])
  t.same(mix.gpus.map(g => g.temperatureGpu >= 85), [false, false, false, false, true, false, false, false], 'one hot, above the health_degraded rule\'s 85 °C')
  t.ok(defaultSimState().gpus.every(g => g.utilizationGpu === 0), 'the tests\' default host is untouched')
})

t.test('npm start (up --simulator demo) shows the mix to a newcomer, written to the data dir once (edits kept)', {
  skip: findNvidiaSmi() === null ? false : 'this host has an nvidia-smi: up reads the real GPUs',
}, async t => {
  const dataDir = join(t.testdir(), 'data')
  // No NVIDIA_SMI_SIM_STATE: the state file is up's own choice.
  const run = runCli(['up', '--simulator', 'demo', '--data-dir', dataDir, '--port', '0', '--agent-port', '0', ...JOB_USER_ARGS], { NVIDIA_SMI_SIM_STATE: '' })
  t.teardown(() => stopUp(run))
  const [, cpUrl] = await run.waitFor(/control plane\s+(http:\/\/127\.0\.0\.1:\d+)/) as [string, string]
  const key = (await run.waitFor(/gfk_[0-9a-f]{64}/))[0]
  const statePath = join(dataDir, 'simulator-state.json')
  t.match(run.stdout(), `simulator      ${statePath}`, 'up says where the mix is and how to change it')
  t.same(JSON.parse(readFileSync(statePath, 'utf8')).gpus.map((g: any) => g.index), [0, 1, 2, 3, 4, 5, 6, 7])

  const rows = await pollUntil(async () => {
    const res = await fetch(`${cpUrl}/api/gpu-stats`, { headers: { authorization: `Bearer ${key}` } })
    const body = await res.json() as any[]
    return body.length === 8 ? body : undefined
  }, 60_000, 500)
  t.ok(rows, 'eight GPUs reported')
  const byIndex = [...rows!].sort((a, b) => a.gpu_id - b.gpu_id)
  t.same(byIndex.map(r => r.utilization_pct > 10), [true, true, true, true, true, false, false, false], 'some busy, the rest idle')
  t.same(byIndex.map(r => r.temp_c >= 85), [false, false, false, false, true, false, false, false], 'one hot')
  await stopUp(run)

  // An operator's edit survives the next start.
  const edited = JSON.parse(readFileSync(statePath, 'utf8'))
  edited.gpus[7].utilizationGpu = 55
  writeFileSync(statePath, JSON.stringify(edited))
  const again = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0', ...JOB_USER_ARGS], { NVIDIA_SMI_SIM_STATE: '', GPUFLEET_SIMULATOR: 'demo' })
  t.teardown(() => stopUp(again))
  await again.waitFor(/gpufleet is up/)
  t.equal(JSON.parse(readFileSync(statePath, 'utf8')).gpus[7].utilizationGpu, 55, 'not overwritten')
})

t.test('up --simulator takes idle or demo only, and says which flag was wrong', async t => {
  t.match(JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).scripts.start, /up --simulator demo/, 'npm start asks for the demo mix')
  const bad = runCli(['up', '--simulator', 'busy', '--data-dir', join(t.testdir(), 'data'), '--port', '0', '--agent-port', '0'])
  t.teardown(() => { bad.child.kill('SIGKILL') })
  const exit = await bad.exited
  t.equal(exit.code, 2)
  t.equal(bad.stderr().trim(), 'gpufleet up: --simulator must be idle or demo, got "busy"')
})
