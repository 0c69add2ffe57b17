import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { createCollector } from '../../../agent/collector/create-collector.ts'
import type { CollectorOptions } from '../../../agent/collector/collector-options.ts'
import type { Snapshot } from '../../../agent/collector/snapshot.ts'
import { createPurgeService } from '../../../agent/purge/create-purge-service.ts'
import { defaultSimState, updateSimState, writeSimState } from '../../fakes/sim-state.ts'
import type { SimGpu, SimState } from '../../fakes/sim-state.ts'
import { createFakeTimers } from './fake-timers.ts'
import type { FakeTimers } from './fake-timers.ts'
import { createMemoryLog } from './memory-log.ts'
import { SIM, simCollector } from './sim-collector.ts'
import { waitUntil } from './wait-until.ts'

// Faults a real host has, each through the real spawn/parse path against the simulator.
// Where time matters, the collector runs on hand-driven timers and clocks: a test says how
// much (fake) time passed, never measures the wall clock.

// Generous: a loaded CI box (load 10 on 2 cores) starts a Node process in seconds.
const WAIT_MS = 60_000

/** A collector on fake timers and clocks (1 Hz, the defaults otherwise). */
function setupFake (t: Test, state: SimState, options: Partial<CollectorOptions> = {}) {
  const ft = createFakeTimers()
  return { ft, ...simCollector(t, state, { intervalMs: 1000, backoff: undefined, timers: ft.timers, now: ft.now, monotonicNow: ft.monotonicNow, ...options }) }
}

t.test('nvidia-smi children inherit the agent environment (PATH, LD_LIBRARY_PATH, agent.env) plus the collector extras', async t => {
  const dir = t.testdir({})
  const wrapper = join(dir, 'nvidia-smi')
  // Records the environment it was started with, then becomes the simulator.
  writeFileSync(wrapper, `#!/bin/sh\n/usr/bin/env > "$ENV_DUMP_DIR/env.$$"\nexec "${SIM}" "$@"\n`, { mode: 0o755 })
  const statePath = join(dir, 'sim.json')
  writeSimState(statePath, defaultSimState(1))
  const saved = { ...process.env }
  t.teardown(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })
  // What systemd's EnvironmentFile=agent.env would have set for the agent process.
  Object.assign(process.env, { LD_LIBRARY_PATH: '/opt/nvidia/lib64', GPUFLEET_TEST_FROM_AGENT_ENV: 'yes', NVIDIA_SMI_SIM_STATE: '/overridden/by/the/extras' })
  const collector = createCollector({
    nvidiaSmiPath: wrapper,
    intervalMs: 200,
    computeAppsIntervalMs: 60_000,
    log: createMemoryLog(),
    env: { ENV_DUMP_DIR: dir, NVIDIA_SMI_SIM_STATE: statePath },
  })
  t.teardown(() => collector.stop())
  const seen: Snapshot[] = []
  collector.onSnapshot(s => seen.push(s))
  await collector.start()
  await waitUntil(() => seen.length >= 1, 'a snapshot through the wrapper', WAIT_MS)
  const dumps = readdirSync(dir).filter(f => f.startsWith('env.'))
  t.ok(dumps.length >= 2, 'the probe and the loop both went through the wrapper')
  for (const f of dumps) {
    const env = Object.fromEntries(readFileSync(join(dir, f), 'utf8').trim().split('\n').map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    t.equal(env.PATH, saved.PATH, `${f}: PATH inherited`)
    t.equal(env.LD_LIBRARY_PATH, '/opt/nvidia/lib64', `${f}: LD_LIBRARY_PATH inherited`)
    t.equal(env.GPUFLEET_TEST_FROM_AGENT_ENV, 'yes', `${f}: what agent.env sets is inherited`)
    t.equal(env.ENV_DUMP_DIR, dir, `${f}: the collector's extras are added`)
    t.equal(env.NVIDIA_SMI_SIM_STATE, statePath, `${f}: an extra wins over the agent's own value`)
  }
})

/**
 * The kernel's side of a driver that wedges: a process blocked in the driver (state D) acts
 * on no signal, SIGKILL included, until the driver call returns. No user-space fake can be
 * such a process, so the simulator plays the wedged driver (mode 'hang': alive, silent) and
 * this seam plays the kernel: while the driver is wedged, signals to a child are queued, not
 * acted on; they are delivered for real when the driver recovers (or the test ends).
 */
function wedgeableKernel (t: Test) {
  let wedged = false
  const queued: Array<[ChildProcess, NodeJS.Signals]> = []
  const stuck = new Set<number>()
  const signalChild = (child: ChildProcess, signal: NodeJS.Signals): void => {
    if (wedged || stuck.has(child.pid as number)) {
      stuck.add(child.pid as number)
      queued.push([child, signal])
      return
    }
    child.kill(signal)
  }
  const release = (): void => { for (const [child] of queued.splice(0)) child.kill('SIGKILL') }
  t.teardown(release)
  return { signalChild, stuck, wedge: (on: boolean) => { wedged = on }, release }
}

t.test('a child that SIGKILL cannot end is abandoned, not awaited: purge and compute apps keep working', async t => {
  const kernel = wedgeableKernel(t)
  // A 100 s one-shot limit only the fake clock reaches, so nothing here depends on the box's
  // speed; a 60 s loop interval keeps the watchdog (3 intervals) out of the way meanwhile.
  const { ft, collector, statePath } = setupFake(t, defaultSimState(2), { oneShotTimeoutMs: 100_000, intervalMs: 60_000, signalChild: kernel.signalChild })
  const purge = createPurgeService({ source: collector, adapters: [], settleMs: 0, log: createMemoryLog() })
  await collector.start()
  await waitUntil(() => collector.latest() !== null, 'the first snapshot', WAIT_MS)

  updateSimState(statePath, s => { s.mode = 'hang' })
  kernel.wedge(true)
  const first = purge.purge({ force: false }).then(() => 'answered', (err: { status?: number, code?: string }) => `${err.status} ${err.code}`)
  const apps = collector.refreshComputeApps().then(() => 'answered', (err: Error) => err.message)
  // Past the one-shot limit, the SIGTERM → SIGKILL grace and the abandon wait, on the fake clock.
  ft.advance(100_000 + 2000 + 5000 + 1)
  let firstAnswer = ''
  let appsAnswer = ''
  void first.then(a => { firstAnswer = a })
  void apps.then(a => { appsAnswer = a })
  await waitUntil(() => firstAnswer !== '' && appsAnswer !== '', 'the stuck reads to be given up on', WAIT_MS)
  t.equal(firstAnswer, '503 GPU_READ_FAILED', 'the purge whose read hung fails with a 503, it does not hang')
  t.match(appsAnswer, /did not answer in time/)
  t.ok(kernel.stuck.size >= 2, 'the stuck children are still there (SIGKILL queued, not acted on)')
  t.ok((collector.health().abandonedChildren ?? 0) >= 2, 'and counted as abandoned')
  t.match(collector.health().lastError, /outlived SIGKILL/)

  // The driver answers again; the stuck processes are still stuck (their SIGKILL still queued).
  kernel.wedge(false)
  updateSimState(statePath, s => { s.mode = 'normal'; (s.gpus[1] as SimGpu).memoryBaseUsedMib = 777 })
  const second = await purge.purge({ force: false })
  t.equal(second.status, 'success', 'the next purge runs (no 409 PURGE_IN_PROGRESS)')
  t.equal((await collector.readNow()).gpus[1]?.memoryUsedMib, 777)
  t.same((await collector.refreshComputeApps()).apps, [], 'compute apps refresh again')
})

/** The delay of the newest restart the collector logged (tests read the log, not its insides). */
function lastRestartDelay (log: ReturnType<typeof createMemoryLog>): number | undefined {
  return (log.entries.filter(e => e.msg === 'restarting nvidia-smi loop').at(-1)?.obj as { delayMs?: number } | undefined)?.delayMs
}

t.test('backoff: capped so a cleared fault is noticed within 5 s, and reset by one healthy tick', async t => {
  const { ft, collector, snapshots, statePath, log } = setupFake(t, defaultSimState(2))
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the first snapshot', WAIT_MS)

  // The driver goes away: every child exits at once (exit 9, the real text on stdout).
  updateSimState(statePath, s => { s.mode = 'exit' })
  const delays: number[] = []
  for (let i = 0; i < 6; i++) {
    await waitUntil(() => collector.health().state === 'restarting', 'the child to exit', WAIT_MS)
    const delay = lastRestartDelay(log) as number
    delays.push(delay)
    if (i === 5) break
    ft.advance(delay)
  }
  t.same(delays, [1000, 2000, 3000, 3000, 3000, 3000], 'doubling from 1 s, capped at 3 s')
  t.match(collector.health().lastError, /exited \(code 9\): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/)

  // The fault clears: the next try is at most 3 s away, and its first tick is the recovery.
  updateSimState(statePath, s => { s.mode = 'normal' })
  const clearedAt = ft.elapsed()
  const seen = snapshots.length
  ft.advance(lastRestartDelay(log) as number)
  await waitUntil(() => snapshots.length > seen, 'a snapshot after the fault cleared', WAIT_MS)
  t.ok(ft.elapsed() - clearedAt <= 5000, `recovered ${ft.elapsed() - clearedAt} ms (agent time) after the fault cleared`)

  // One healthy tick resets the backoff: the next fault starts again from 1 s.
  updateSimState(statePath, s => { s.mode = 'exit' })
  await waitUntil(() => collector.health().state === 'restarting', 'the child to exit again', WAIT_MS)
  t.equal(lastRestartDelay(log), 1000)
})

t.test('a hung driver: the silent child is replaced at once, and a cleared hang is noticed within 5 s', async t => {
  const { ft, collector, snapshots, statePath } = setupFake(t, defaultSimState(2))
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the first snapshot', WAIT_MS)
  updateSimState(statePath, s => { s.mode = 'hang' })
  const hungPid = collector.health().childPid
  // Three silent intervals, then one more check: the watchdog replaces it.
  for (let i = 0; i < 5 && collector.health().childPid === hungPid; i++) ft.advance(1000)
  t.not(collector.health().childPid, hungPid, 'replaced by the watchdog')
  t.match(collector.health().lastError, /no complete snapshot/)

  // Worst case: the hang clears just after a new child started and wedged.
  const wedgedPid = collector.health().childPid
  updateSimState(statePath, s => { s.mode = 'normal' })
  const clearedAt = ft.elapsed()
  const seen = snapshots.length
  while (collector.health().childPid === wedgedPid && ft.elapsed() - clearedAt < 30_000) ft.advance(500)
  await waitUntil(() => snapshots.length > seen, 'a snapshot after the hang cleared', WAIT_MS)
  t.ok(ft.elapsed() - clearedAt <= 5000, `recovered ${ft.elapsed() - clearedAt} ms (agent time) after the hang cleared`)
})

t.test('the watchdog runs on the monotonic clock: a wall-clock step backwards does not hide a hung child', async t => {
  const { ft, collector, snapshots, statePath } = setupFake(t, defaultSimState(1))
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'the first snapshot', WAIT_MS)
  updateSimState(statePath, s => { s.mode = 'hang' })
  const pid = collector.health().childPid
  ft.stepWall(-120_000)
  for (let i = 0; i < 4; i++) ft.advance(1000)
  t.not(collector.health().childPid, pid, 'the silent child was replaced 4 s (monotonic) later')
  t.match(collector.health().lastError, /no complete snapshot .* for 4000 ms/)
})

t.test('one unparsable cell nulls that field of that GPU only; the fix shows up at the next tick', async t => {
  const { collector, snapshots, statePath } = simCollector(t, defaultSimState())
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')
  updateSimState(statePath, s => { (s.gpus[3] as SimGpu).overrides = { 'power.draw.instant': 'NaN', 'memory.used': '-42' } })
  await waitUntil(() => collector.latest()?.gpus[3]?.faults !== undefined, 'the faulty values', WAIT_MS)
  const snap = collector.latest() as Snapshot
  t.equal(snap.gpus.length, 8, 'all 8 GPUs still report')
  t.match(snap.gpus[3], { powerDrawInstantW: null, memoryUsedMib: null, temperatureGpuC: 31, powerLimitW: 1000 })
  t.match(snap.gpus[3]?.faults, [{ field: 'memory.used', raw: '-42', reason: /outside/ }, { field: 'power.draw.instant', raw: 'NaN', reason: /not a number/ }])
  t.ok(snap.gpus.filter(g => g.index !== 3).every(g => g.faults === undefined && g.powerDrawInstantW !== null), 'the other GPUs are untouched')
  t.same(snap.missing, [])

  updateSimState(statePath, s => { delete (s.gpus[3] as SimGpu).overrides })
  await waitUntil(() => collector.latest()?.gpus[3]?.faults === undefined, 'clean values again', WAIT_MS)
  t.equal(collector.latest()?.gpus[3]?.powerDrawInstantW, 252.1)
})

t.test('[GPU requires reset] is a fault with its reason, not a reading', async t => {
  const { collector, statePath } = simCollector(t, defaultSimState(2))
  await collector.start()
  updateSimState(statePath, s => { (s.gpus[1] as SimGpu).overrides = { 'memory.used': '[GPU requires reset]', 'utilization.gpu': '[GPU requires reset]' } })
  await waitUntil(() => collector.latest()?.gpus[1]?.faults !== undefined, 'the fault', WAIT_MS)
  t.match(collector.latest()?.gpus[1], {
    memoryUsedMib: null,
    utilizationGpuPct: null,
    faults: [{ field: 'memory.used', reason: 'GPU requires reset' }, { field: 'utilization.gpu', reason: 'GPU requires reset' }],
  })
})

t.test('a GPU falls off the bus: named missing by index and UUID, logged, the others keep reporting; back on the bus, it is picked up', async t => {
  const state = defaultSimState(4)
  const lostUuid = (state.gpus[2] as SimGpu).uuid
  const { collector, snapshots, statePath, log } = simCollector(t, state, { missingRecheckMs: 200 })
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot')

  updateSimState(statePath, s => { (s.gpus[2] as SimGpu).lost = true })
  await waitUntil(() => (collector.latest()?.missing ?? []).length === 1 && collector.latest()?.gpus.length === 3, 'GPU 2 missing', WAIT_MS)
  const seen = snapshots.length
  await waitUntil(() => snapshots.length >= seen + 3, 'more snapshots of the other three', WAIT_MS)
  const snap = collector.latest() as Snapshot
  t.same(snap.gpus.map(g => g.index), [0, 1, 3])
  t.match(snap.missing, [{ index: 2, uuid: lostUuid, pciBusId: '00000000:38:00.0', reason: 'nvidia-smi: Unable to determine the device handle for GPU 00000000:38:00.0: Unknown Error' }])
  t.ok(log.entries.some(e => e.level === 'warn' && (e.obj as { event?: string, uuid?: string }).event === 'gpu_missing' && (e.obj as { uuid?: string }).uuid === lostUuid), 'the event is logged')
  t.match(collector.health().lastError, /exited \(code 15, a GPU fell off the bus\): Unable to determine the device handle/)
  t.same((await collector.readNow()).gpus.map(g => g.index), [0, 1, 3], 'one-shot reads (purge) keep working with the GPUs there are')

  updateSimState(statePath, s => { delete (s.gpus[2] as SimGpu).lost })
  await waitUntil(() => collector.latest()?.gpus.length === 4, 'GPU 2 back in the snapshots', WAIT_MS)
  t.same(collector.latest()?.missing, [])
  t.equal(collector.latest()?.gpus[2]?.uuid, lostUuid)
  t.ok(log.entries.some(e => (e.obj as { event?: string }).event === 'gpu_back'), 'its return is logged')
})

t.test('a GPU already off the bus when the agent starts: the agent starts with the others and names it by bus id', async t => {
  const state = defaultSimState(3)
  ;(state.gpus[0] as SimGpu).lost = 'GPU is lost. Reboot the system to recover this GPU'
  const { collector, snapshots } = simCollector(t, state)
  await collector.start()
  await waitUntil(() => snapshots.length >= 1, 'a snapshot', WAIT_MS)
  t.same(snapshots[0]?.gpus.map(g => g.index), [1, 2])
  t.match(snapshots[0]?.missing, [{ index: null, pciBusId: '00000000:18:00.0', reason: /GPU is lost/ }])
})
