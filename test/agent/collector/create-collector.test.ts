import t from 'tap'
import { createCollector } from '../../../agent/collector/create-collector.ts'
import type { Snapshot } from '../../../agent/collector/snapshot.ts'
import { defaultSimState, updateSimState } from '../../fakes/sim-state.ts'
import type { SimGpu } from '../../fakes/sim-state.ts'
import { createFakeTimers } from './fake-timers.ts'
import { createMemoryLog } from './memory-log.ts'
import { SIM, simCollector } from './sim-collector.ts'
import { waitUntil } from './wait-until.ts'


function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('snapshots of the 8 simulated B200s arrive, one stamp per tick; a state change shows up', async t => {
  const { collector, snapshots, statePath } = simCollector(t, defaultSimState(), { intervalMs: 1000 })
  const before = Date.now()
  await collector.start()
  t.equal(collector.health().state, 'running', 'start() does not wait for the first snapshot')
  await waitUntil(() => snapshots.length >= 2, 'two snapshots')
  const first = snapshots[0] as Snapshot
  t.equal(first.gpus.length, 8)
  t.same(first.gpus.map(g => g.index), [0, 1, 2, 3, 4, 5, 6, 7])
  t.ok(first.recordedAt >= before && first.recordedAt <= Date.now())
  t.match(first.gpus[3], { name: 'NVIDIA B200', memoryTotalMib: 183359, memoryUsedMib: 0, powerLimitW: 1000, powerDrawInstantW: 252.1, powerDrawAverageW: 251.5, pstate: 'P0' })
  t.equal(collector.latest(), snapshots.at(-1))

  updateSimState(statePath, s => {
    Object.assign(s.gpus[3] as SimGpu, { powerDraw: 700, powerDrawInstant: 712.5, utilizationGpu: 93 })
    s.processes.push({ gpuIndex: 3, pid: 999_999, name: 'vllm', usedMemoryMib: 80_000 })
  })
  await waitUntil(() => collector.latest()?.gpus[3]?.powerDrawInstantW === 712.5, 'the new reading')
  t.match(collector.latest()?.gpus[3], { powerDrawAverageW: 700, utilizationGpuPct: 93, memoryUsedMib: 80_000, memoryFreeMib: 183359 - 1047 - 80_000 })

  const h = collector.health()
  t.match(h, { state: 'running', restarts: 0, parseErrors: 0, lastError: null })
  t.equal(typeof h.childPid, 'number')
  t.ok(h.fields.includes('power.draw.instant') && h.fields.includes('power.draw.average'))
  t.equal(h.lastSnapshotAt, collector.latest()?.recordedAt)
})

t.test('garbage lines are skipped and counted; ticks stay whole', async t => {
  const { collector, log, snapshots } = simCollector(t, { ...defaultSimState(), garbageEvery: 1 })
  await collector.start()
  await waitUntil(() => collector.health().parseErrors >= 5 && snapshots.length >= 5, 'garbage and snapshots')
  t.ok(snapshots.every(s => s.gpus.length === 8 && s.gpus.every((g, i) => g.index === i)), 'every snapshot has all 8 GPUs in order')
  t.ok(log.entries.some(e => e.level === 'warn' && e.msg.includes('did not parse')), 'the first bad line is logged at warn')
})

t.test('a child that dies is respawned with backoff, counted, and its error kept', async t => {
  const { collector, snapshots, statePath } = simCollector(t, defaultSimState(2), { backoff: { initialMs: 50, maxMs: 400 } })
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')
  const firstPid = collector.health().childPid
  updateSimState(statePath, s => { Object.assign(s, { mode: 'exit', exitCode: 3, exitMessage: 'GPU 0000:18:00.0: Unknown Error' }) })
  await waitUntil(() => collector.health().restarts >= 3, 'three restarts')
  t.match(collector.health().lastError, /exited \(code 3\): GPU 0000:18:00\.0: Unknown Error/)
  updateSimState(statePath, s => { s.mode = 'normal' })
  const seen = snapshots.length
  await waitUntil(() => snapshots.length > seen, 'snapshots again')
  t.equal(collector.health().state, 'running')
  t.not(collector.health().childPid, firstPid)
})

t.test('watchdog: a hung child is killed within 3 intervals and respawned; staleness shows meanwhile', async t => {
  // Default backoff (1 s first): the restart lands well inside the 5 s the issue allows.
  const { collector, snapshots } = simCollector(t, { ...defaultSimState(), mode: 'hang-after-first' }, { backoff: undefined })
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the first (and only) tick')
  const hungPid = collector.health().childPid as number
  const firstAt = (snapshots[0] as Snapshot).recordedAt

  await waitUntil(() => collector.health().lastError !== null, 'the watchdog to fire', 5000)
  const stale = collector.health()
  t.equal(stale.lastSnapshotAt, firstAt, 'lastSnapshotAt did not advance while the child was silent')
  t.ok(Date.now() - firstAt > 3 * 200, 'the data is older than 3 intervals')
  t.match(stale.lastError, /no complete snapshot/)
  t.equal(snapshots.length, 1)

  await waitUntil(() => collector.health().restarts >= 1, 'a restart', 5000)
  t.ok(Date.now() - firstAt < 5000, 'restarted within 5 s of the last snapshot')
  await waitUntil(() => !pidAlive(hungPid), 'the hung child to be gone')
  await waitUntil(() => snapshots.length >= 2, 'a snapshot from the new child')
  t.not(collector.health().childPid, hungPid)
  t.ok((collector.health().lastSnapshotAt as number) > firstAt)
})

t.test('a child that ignores SIGTERM gets SIGKILL after the grace', async t => {
  const { collector, snapshots } = simCollector(t, { ...defaultSimState(1), mode: 'hang-after-first', ignoreSigterm: true }, { killGraceMs: 300 })
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the first tick')
  const pid = collector.health().childPid as number
  await waitUntil(() => !pidAlive(pid), 'the child to be killed')
  await waitUntil(() => collector.health().restarts >= 1, 'a restart')
})

t.test('a GPU whose row stops coming: the others keep reporting, it is listed missing', async t => {
  const { collector, snapshots, statePath } = simCollector(t, defaultSimState())
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')
  updateSimState(statePath, s => { s.gpus = s.gpus.filter(g => g.index !== 5) })
  await waitUntil(() => collector.latest()?.gpus.length === 7, 'snapshots of the 7 GPUs left')
  t.same(collector.latest()?.gpus.map(g => g.index), [0, 1, 2, 3, 4, 6, 7])
  t.match(collector.latest()?.missing, [{ index: 5, uuid: defaultSimState().gpus[5]?.uuid, reason: /no row/ }])
  t.ok(snapshots.every(s => s.gpus.length === 8 || s.gpus.length === 7), 'never fewer than the GPUs that printed')
})

t.test('missing nvidia-smi: NVIDIA_SMI_NOT_FOUND naming the path and the flag', async t => {
  const log = createMemoryLog()
  const collector = createCollector({ nvidiaSmiPath: '/nonexistent/bin/nvidia-smi', intervalMs: 1000, computeAppsIntervalMs: 5000, log })
  t.teardown(() => collector.stop())
  await t.rejects(collector.start(), {
    name: 'AgentError',
    code: 'NVIDIA_SMI_NOT_FOUND',
    message: /\/nonexistent\/bin\/nvidia-smi.*--nvidia-smi PATH.*GPUFLEET_NVIDIA_SMI/,
  })
  t.match(collector.health(), { state: 'stopped', childPid: null, lastError: /not found/ })
})

t.test('a broken driver at start: NVIDIA_SMI_FAILED with its message', async t => {
  const { collector } = simCollector(t, { ...defaultSimState(), mode: 'exit' })
  await t.rejects(collector.start(), { code: 'NVIDIA_SMI_FAILED', message: /couldn't communicate with the NVIDIA driver/ })
})

t.test('a driver without power.draw.instant: probed away, power.draw stands in', async t => {
  const { collector, snapshots } = simCollector(t, { ...defaultSimState(2), unknownFields: ['power.draw.instant', 'power.draw.average'] })
  await collector.start()
  const { fields } = collector.health()
  t.notOk(fields.includes('power.draw.instant'))
  t.notOk(fields.includes('power.draw.average'))
  t.ok(fields.includes('power.draw'))
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')
  t.match(snapshots[0]?.gpus[1], { powerDrawInstantW: 249.5, powerDrawAverageW: 249.5 })
})

t.test('compute apps: read at start, refreshed on demand; a hung one-shot is killed', async t => {
  const state = defaultSimState()
  state.processes = [{ gpuIndex: 2, pid: 4242, name: '/usr/bin/python3', usedMemoryMib: 70_000 }]
  // The one-shot limit runs on a hand-driven clock: a slow box never trips it, the test does.
  const ft = createFakeTimers()
  const { collector, statePath } = simCollector(t, state, { timers: ft.timers, now: ft.now, monotonicNow: ft.monotonicNow })
  await collector.start()
  ft.advance(0)
  await waitUntil(() => collector.computeApps() !== null, 'the first compute-apps read')
  t.same(collector.computeApps()?.apps, [{ gpuUuid: state.gpus[2]?.uuid, pid: 4242, processName: '/usr/bin/python3', usedMemoryMib: 70_000 }])

  updateSimState(statePath, s => { s.processes = [] })
  const now = await collector.refreshComputeApps()
  t.same(now.apps, [])
  t.equal(collector.computeApps(), now)

  updateSimState(statePath, s => { s.mode = 'hang' })
  const hung = collector.refreshComputeApps()
  ft.advance(10_000)
  await t.rejects(hung, { code: 'NVIDIA_SMI_FAILED', message: /in time/ })
})

t.test('readNow: a fresh one-shot read of every GPU', async t => {
  const { collector, statePath } = simCollector(t, defaultSimState(), { intervalMs: 1000 })
  await t.rejects(collector.readNow(), { code: 'NVIDIA_SMI_FAILED' }, 'not before start')
  await collector.start()
  updateSimState(statePath, s => { (s.gpus[6] as SimGpu).memoryBaseUsedMib = 1234 })
  const snap = await collector.readNow()
  t.equal(snap.gpus.length, 8)
  t.equal(snap.gpus[6]?.memoryUsedMib, 1234)
})

t.test('readNow: fresher than the loop\'s newest tick, it becomes latest() (the API after a purge); listeners keep the loop\'s cadence', async t => {
  const { collector, snapshots, statePath } = simCollector(t, defaultSimState(), { intervalMs: 60_000 })
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the loop\'s first tick')
  updateSimState(statePath, s => { (s.gpus[0] as SimGpu).memoryBaseUsedMib = 4321 })
  const snap = await collector.readNow()
  t.equal(collector.latest(), snap, 'the fresh read is what the API serves now')
  t.equal(collector.latest()?.gpus[0]?.memoryUsedMib, 4321)
  t.equal(snapshots.length, 1, 'no listener heard the one-shot read')
  t.equal(collector.health().state, 'running')
})

t.test('stop() kills the child and is safe to repeat; start() works again after', async t => {
  const { collector, snapshots } = simCollector(t, defaultSimState(1))
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')
  const pid = collector.health().childPid as number
  await collector.stop()
  t.notOk(pidAlive(pid), 'the loop child is gone when stop() resolves')
  t.match(collector.health(), { state: 'stopped', childPid: null })
  await collector.stop()
  await collector.start()
  const seen = snapshots.length
  await waitUntil(() => snapshots.length > seen, 'snapshots again')
})

t.test('options are checked when the collector is built', async t => {
  const log = createMemoryLog()
  t.throws(() => createCollector({ nvidiaSmiPath: SIM, intervalMs: 0, computeAppsIntervalMs: 5000, log }), { code: 'CONFIG_INVALID', message: /intervalMs/ })
  t.throws(() => createCollector({ nvidiaSmiPath: '', intervalMs: 1000, computeAppsIntervalMs: 5000, log }), { code: 'CONFIG_INVALID', message: /nvidiaSmiPath/ })
  t.throws(() => createCollector({ nvidiaSmiPath: SIM, intervalMs: 1000, computeAppsIntervalMs: 5000, log, backoff: { initialMs: 500, maxMs: 100 } }), { code: 'CONFIG_INVALID', message: /backoff/ })
})
