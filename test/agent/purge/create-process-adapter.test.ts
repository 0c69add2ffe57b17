import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createProcessAdapter } from '../../../agent/purge/create-process-adapter.ts'
import type { ProcessAdapterOptions } from '../../../agent/purge/create-process-adapter.ts'
import { defaultSimState, writeSimState } from '../../fakes/sim-state.ts'
import type { SimProcess } from '../../fakes/sim-state.ts'
import { createSimGpuSource } from '../../helpers/sim-gpu-source.ts'
import { spawnDummy } from '../../helpers/spawn-dummy.ts'

function setup (t: Test, processes: SimProcess[], options: Partial<ProcessAdapterOptions> = {}) {
  const simStatePath = join(t.testdir(), 'sim.json')
  writeSimState(simStatePath, { ...defaultSimState(2), processes })
  const source = createSimGpuSource(simStatePath)
  // graceMs is a bound, not a wait: a process that exits on SIGTERM is seen gone at once.
  const adapter = createProcessAdapter({ source, allow: ['python'], graceMs: 10_000, pollMs: 20, ...options })
  return { source, adapter }
}

const gpuJob = (pid: number, name = 'python', gpuIndex = 0): SimProcess => ({ gpuIndex, pid, name, usedMemoryMib: 20_000, followPid: true })

t.test('SIGTERM: an allow-listed process that exits frees its GPU memory', async t => {
  const dummy = await spawnDummy(t)
  // On two GPUs: listed once, signalled once.
  const { adapter, source } = setup(t, [gpuJob(dummy.pid, '/usr/bin/python', 0), gpuJob(dummy.pid, '/usr/bin/python', 1)])
  t.equal(adapter.kind, 'process')
  const models = await adapter.list()
  t.same(models.map(m => m.name), [`python (pid ${dummy.pid})`], 'a full path matches a basename entry')
  t.equal(await adapter.unload(models[0]!, { force: false }), `sent SIGTERM to pid ${dummy.pid} (python); it exited`)
  t.equal(await dummy.exited, 'SIGTERM')
  t.same((await source.refreshComputeApps()).apps, [])
})

t.test('without force a process that ignores SIGTERM is left running and reported', async t => {
  const dummy = await spawnDummy(t, { ignoreSigterm: true })
  const { adapter } = setup(t, [gpuJob(dummy.pid)], { graceMs: 300 })
  const [model] = await adapter.list()
  await t.rejects(adapter.unload(model!, { force: false }), { message: `pid ${dummy.pid} (python) did not exit after SIGTERM within 0.3s; retry with force` })
  t.ok(dummy.alive(), 'no SIGKILL without force')
})

t.test('with force SIGKILL follows the grace period', async t => {
  const dummy = await spawnDummy(t, { ignoreSigterm: true })
  const { adapter, source } = setup(t, [gpuJob(dummy.pid)], { graceMs: 300 })
  const [model] = await adapter.list()
  t.equal(await adapter.unload(model!, { force: true }), `sent SIGTERM to pid ${dummy.pid} (python), then SIGKILL after 0.3s; it exited`)
  t.equal(await dummy.exited, 'SIGKILL')
  t.same((await source.refreshComputeApps()).apps, [])
})

t.test('the allow-list is respected: other processes are neither listed nor signalled', async t => {
  const allowed = await spawnDummy(t)
  const other = await spawnDummy(t)
  const { adapter } = setup(t, [gpuJob(allowed.pid), gpuJob(other.pid, 'trainer', 1)])
  const models = await adapter.list()
  t.same(models.map(m => m.name), [`python (pid ${allowed.pid})`])
  await adapter.unload(models[0]!, { force: true })
  // Handed a model it did not list (a bug elsewhere), unload still refuses.
  await t.rejects(adapter.unload({ runtime: 'process', name: 'trainer', busy: false, ref: { pid: other.pid, processName: 'trainer' } }, { force: true }),
    /is not on the purge allow-list; not signalled/)
  t.ok(other.alive())
})

t.test('never pid 1 nor the agent itself, even when allow-listed', async t => {
  const { adapter } = setup(t, [gpuJob(1), gpuJob(process.pid)])
  t.same(await adapter.list(), [])
  await t.rejects(adapter.unload({ runtime: 'process', name: 'x', busy: false, ref: { pid: process.pid, processName: 'python' } }, { force: true }), /not signalled/)
})

t.test('EPERM names the systemd CAP_KILL opt-in', async t => {
  const kill = (_pid: number, signal: NodeJS.Signals | 0) => {
    if (signal !== 0) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' })
  }
  // A fake pid, listed without followPid: the injected kill stands in for another user's process.
  const { adapter } = setup(t, [{ ...gpuJob(4_999_999), followPid: false }], { kill })
  const [model] = await adapter.list()
  await t.rejects(adapter.unload(model!, { force: false }), /not permitted to send SIGTERM to pid 4999999 \(python\) \(EPERM\).*AmbientCapabilities=CAP_KILL/)
})

t.test('a process already gone is not an error', async t => {
  // Listed without followPid, so the state still shows it after its pid is gone.
  const { adapter } = setup(t, [{ gpuIndex: 0, pid: 5_100_000, name: 'python', usedMemoryMib: 1000 }])
  const [model] = await adapter.list()
  t.equal(await adapter.unload(model!, { force: false }), 'pid 5100000 (python) had already exited')
})

t.test('an empty allow-list lists nothing without reading the GPUs', async t => {
  const { adapter, source } = setup(t, [gpuJob(4_999_998)], { allow: [] })
  source.setReadError(new Error('must not be read'))
  t.same(await adapter.list(), [])
})
