import t from 'tap'
import { createAlertsLoop, type AlertsLoopOptions } from '../../../control-plane/alerts/create-alerts-loop.ts'
import type { GpuHealth } from '../../../control-plane/store/fleet-repository.ts'
import { H, MIN, NOW, alertsSetup } from './alerts-harness.ts'

const subjects = (events: Array<{ ruleType: string, subject: { type: string, id: number } }>) =>
  events.map(e => `${e.ruleType} ${e.subject.type}:${e.subject.id}`)

t.test('idle_gpu: fires once after N idle minutes, resolves on a busy minute, re-fires after a new idle stretch', async t => {
  const { store, rows, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 3 }, NOW - 3 * H)
  const acme = rows.tenant({ name: 'acme', gpuQuota: 8 })
  const job = rows.job({ clusterId: a.clusterId, tenantId: acme, name: 'train', status: 'running', gpuCount: 3, submittedAt: NOW - 2 * H })
  rows.assign(job, a.gpuIds[0]!, NOW - 2 * H)
  rows.assign(job, a.gpuIds[1]!, NOW - 2 * H)
  rows.assign(job, a.gpuIds[2]!, NOW - 30 * MIN) // held only 30 min: not idle long enough yet
  await fleet.samples(a.nodeId, 0, NOW - 61 * MIN, NOW, 30_000, 3)
  await fleet.samples(a.nodeId, 1, NOW - 61 * MIN, NOW, 30_000, at => (at >= NOW - 30 * MIN && at < NOW - 29 * MIN ? 40 : 3))
  await fleet.samples(a.nodeId, 2, NOW - 30 * MIN, NOW, 30_000, 0)

  const first = await loop.evaluate()
  t.same(subjects(first.fired), [`idle_gpu gpu:${a.gpuIds[0]}`], 'only the GPU idle for every minute of the last 60')
  t.match(first.fired[0], { tenantId: acme, firedAt: NOW, resolvedAt: null, subject: { name: 'a/0' } })
  t.match(first.fired[0]?.message, /GPU a\/0 held by job \d+ "train", tenant acme below 10% utilization for 60 min \(mean 3%\)/)
  t.same((await loop.evaluate()).fired, [], 'fires once')
  t.equal((await store.alerts.getRule(1))?.activeEvents, 1)

  await fleet.samples(a.nodeId, 0, NOW, NOW + 2 * MIN, 30_000, 55)
  clock.set(NOW + 2 * MIN)
  const busy = await loop.evaluate()
  t.same(subjects(busy.resolved), [`idle_gpu gpu:${a.gpuIds[0]}`], 'a busy minute clears it')
  t.equal(busy.resolved[0]?.resolvedAt, NOW + 2 * MIN)
  t.same(await open(), [])

  await fleet.samples(a.nodeId, 0, NOW + 2 * MIN, NOW + 63 * MIN, 30_000, 1)
  clock.set(NOW + 61 * MIN)
  t.same((await loop.evaluate()).fired, [], 'busy until +2 min: 59 idle minutes are not 60')
  clock.set(NOW + 62 * MIN)
  const again = await loop.evaluate()
  t.same(subjects(again.fired), [`idle_gpu gpu:${a.gpuIds[0]}`], 'a new idle stretch is a new event')
  t.not(again.fired[0]?.id, first.fired[0]?.id)

  rows.release(job, a.gpuIds[0]!, NOW + 64 * MIN)
  clock.set(NOW + 64 * MIN)
  t.same(subjects((await loop.evaluate()).resolved), [`idle_gpu gpu:${a.gpuIds[0]}`], 'released → no longer idle-allocated')
})

t.test('idle_gpu: a held GPU with no samples in the window is unknown: its open event neither resolves nor fires', async t => {
  const { rows, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 1 }, NOW - 3 * H)
  const job = rows.job({ clusterId: a.clusterId, status: 'running', submittedAt: NOW - 2 * H })
  rows.assign(job, a.gpuIds[0]!, NOW - 2 * H)
  await fleet.samples(a.nodeId, 0, NOW - 60 * MIN, NOW, 60_000, 2)
  t.equal((await loop.evaluate()).fired.length, 1)
  clock.set(NOW + 2 * H)
  const silent = await loop.evaluate()
  t.same([silent.fired.length, silent.resolved.length, (await open()).length], [0, 0, 1])
})

t.test('idle_gpu: minutes without any utilization (a MIG GPU\'s [N/A]) are unknown, not idle: no breach, an open event stays', async t => {
  const { rows, loop, fleet, open, clock } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'mig', gpus: 2 }, NOW - 3 * H)
  const job = rows.job({ clusterId: a.clusterId, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  rows.assign(job, a.gpuIds[0]!, NOW - 2 * H)
  rows.assign(job, a.gpuIds[1]!, NOW - 2 * H)
  // GPU 0: MIG turned on 50 min ago: 0 % before, [N/A] (null) since, at 432 W as in the capture.
  await fleet.samples(a.nodeId, 0, NOW - 61 * MIN, NOW, 30_000, at => (at < NOW - 50 * MIN ? 0 : null), { powerDrawW: 432 })
  // GPU 1: a lone [N/A] sample in otherwise idle minutes is not an unknown minute.
  await fleet.samples(a.nodeId, 1, NOW - 61 * MIN, NOW, 30_000, at => (at === NOW - 20 * MIN ? null : 2))
  const first = await loop.evaluate()
  t.same(subjects(first.fired), [`idle_gpu gpu:${a.gpuIds[1]}`], 'the GPU with unknown minutes is not idle')

  await fleet.samples(a.nodeId, 1, NOW, NOW + 2 * MIN, 30_000, null)
  clock.set(NOW + 2 * MIN)
  const later = await loop.evaluate()
  t.same([later.fired.length, later.resolved.length, (await open()).length], [0, 0, 1], 'unknown minutes neither resolve nor fire')
})

t.test('quota_breach: fires at threshold percent of quota, resolves below, follows a threshold edit', async t => {
  const { store, rows, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 4 }, NOW)
  const acme = rows.tenant({ name: 'acme', gpuQuota: 2 })
  const beta = rows.tenant({ name: 'beta', gpuQuota: 10 })
  const j1 = rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 2, submittedAt: NOW })
  rows.assign(j1, a.gpuIds[0]!, NOW)
  rows.assign(j1, a.gpuIds[1]!, NOW)
  const j2 = rows.job({ clusterId: a.clusterId, tenantId: beta, status: 'running', gpuCount: 2, submittedAt: NOW })
  rows.assign(j2, a.gpuIds[2]!, NOW)
  rows.assign(j2, a.gpuIds[3]!, NOW)

  const first = await loop.evaluate()
  t.same(subjects(first.fired), [`quota_breach tenant:${acme}`], '2 of 2 ≥ 90 %; 2 of 10 is not')
  t.match(first.fired[0], { tenantId: acme, subject: { name: 'acme' }, message: 'Tenant acme uses 2 of 2 GPUs (100% of quota, threshold 90%)' })
  t.same((await loop.evaluate()).fired, [])

  rows.release(j1, a.gpuIds[1]!, NOW + 1000)
  clock.set(NOW + 30_000)
  t.same(subjects((await loop.evaluate()).resolved), [`quota_breach tenant:${acme}`], '1 of 2 = 50 %')

  await store.alerts.updateRule(2, { threshold: 20 }, NOW + 31_000)
  clock.set(NOW + 60_000)
  t.same(subjects((await loop.evaluate()).fired), [`quota_breach tenant:${acme}`, `quota_breach tenant:${beta}`], 'a lower threshold catches both')
  await store.alerts.updateRule(2, { threshold: 50 }, NOW + 61_000)
  clock.set(NOW + 90_000)
  t.same(subjects((await loop.evaluate()).resolved), [`quota_breach tenant:${beta}`], 'raised again: beta (20 %) clears, acme (50 %) stays')
  t.same(subjects(await open()), [`quota_breach tenant:${acme}`])
})

t.test('health_degraded: offline node, hot GPU, uncorrectable ECC; GPUs of an offline node are not judged', async t => {
  const { store, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 3 }, NOW)
  const b = await fleet.node({ hostname: 'b', gpus: 1 }, NOW)
  await fleet.reading(a.gpuIds[0]!, { utilizationPct: 90, temperatureC: 86 }, NOW)
  await fleet.reading(a.gpuIds[1]!, { utilizationPct: 90, temperatureC: 70 }, NOW)
  await fleet.samples(a.nodeId, 2, NOW - 60_000, NOW, 30_000, 50, { eccErrorsUncorrected: 3 })
  await fleet.reading(b.gpuIds[0]!, { utilizationPct: 90, temperatureC: 95 }, NOW)

  const first = await loop.evaluate()
  t.same(subjects(first.fired).sort(), [`health_degraded gpu:${a.gpuIds[0]}`, `health_degraded gpu:${a.gpuIds[2]}`, `health_degraded gpu:${b.gpuIds[0]}`].sort())
  t.match(first.fired.find(e => e.subject.id === a.gpuIds[0])?.message, 'GPU a/0 degraded: temperature 86°C ≥ 85°C')
  t.match(first.fired.find(e => e.subject.id === a.gpuIds[2])?.message, 'GPU a/2 degraded: 3 uncorrectable ECC errors')
  t.ok(first.fired.every(e => e.tenantId === null), 'fleet health concerns no tenant')

  await store.fleet.markStaleNodesOffline(NOW + 1, NOW + 90_000)
  await store.fleet.upsertNode({ clusterId: a.clusterId, hostname: 'a' }, NOW + 90_000)
  clock.set(NOW + 90_000)
  const offline = await loop.evaluate()
  t.same(subjects(offline.fired), [`health_degraded node:${b.nodeId}`])
  t.match(offline.fired[0]?.message, `Node b offline (last seen ${new Date(NOW).toISOString()})`)
  t.same(offline.resolved, [], 'b/0 (still hot as last seen) stays open: its node is offline, it cannot be judged')

  await fleet.reading(a.gpuIds[0]!, { utilizationPct: 90, temperatureC: 84.9 }, NOW + 100_000)
  await fleet.samples(a.nodeId, 2, NOW + 90_000, NOW + 100_000, 10_000, 50, { eccErrorsUncorrected: 0 })
  await store.fleet.upsertNode({ clusterId: b.clusterId, hostname: 'b' }, NOW + 100_000)
  await fleet.reading(b.gpuIds[0]!, { utilizationPct: 90, temperatureC: 60 }, NOW + 100_000)
  clock.set(NOW + 120_000)
  const healed = await loop.evaluate()
  t.same(subjects(healed.resolved).sort(), [
    `health_degraded gpu:${a.gpuIds[0]}`, `health_degraded gpu:${a.gpuIds[2]}`, `health_degraded gpu:${b.gpuIds[0]}`, `health_degraded node:${b.nodeId}`,
  ].sort())
  t.same(await open(), [])
  await store.alerts.updateRule(3, { threshold: 80 }, NOW + 121_000)
  t.same(subjects((await loop.evaluate()).fired), [`health_degraded gpu:${a.gpuIds[0]}`], 'threshold edit: 84.9 °C ≥ 80 °C')
})

t.test('a disabled rule fires nothing and its open events resolve; re-enabled, it fires anew', async t => {
  const { store, rows, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = rows.tenant({ name: 'acme', gpuQuota: 1 })
  rows.assign(rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  const [fired] = (await loop.evaluate()).fired
  t.equal(fired?.ruleType, 'quota_breach')

  const patched = await store.alerts.updateRule(2, { enabled: false }, NOW + 1)
  t.same(patched?.resolved.map(e => [e.id, e.resolvedAt]), [[fired?.id, NOW + 1]])
  clock.set(NOW + 30_000)
  t.same(await loop.evaluate(), { fired: [], resolved: [] })
  t.same(await open(), [])
  await store.alerts.updateRule(2, { enabled: true }, NOW + 30_001)
  const again = await loop.evaluate()
  t.same(subjects(again.fired), [`quota_breach tenant:${acme}`])
  t.not(again.fired[0]?.id, fired?.id)
})

t.test('passes align to 30 s slots, skip missed ones, survive a failing rule; stop cancels', async t => {
  // Reads on the event loop: a pass then settles within the turn the hand-driven clock awaits
  // after firing it (on the reader thread it would take real time).
  const { store, rows, clock, lines, loop, fleet } = await alertsSetup(t, { webhook: false, store: { fleetReads: 'inline' } })
  const a = await fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  const acme = rows.tenant({ name: 'acme', gpuQuota: 1 })
  rows.assign(rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', submittedAt: NOW }), a.gpuIds[0]!, NOW)
  let calls = 0
  const real = store.dashboard.heldGpuUtilization
  store.dashboard.heldGpuUtilization = async (...args) => {
    calls++
    if (calls === 1) throw new Error('database is locked')
    if (calls === 2) clock.set(clock.now() + 65_000) // a pass that overruns two slots
    return real(...args)
  }
  clock.set(NOW + 7_000)
  loop.start()
  loop.start()
  t.equal(clock.pending(), 1, 'start is idempotent')
  await clock.advance(22_999)
  t.equal(calls, 0, 'nothing before the slot')
  await clock.advance(1)
  t.equal(calls, 1, 'first pass at the :30 slot')
  t.ok(lines.some(l => l.msg === 'alert rule evaluation failed' && (l.obj as { ruleType?: string }).ruleType === 'idle_gpu'), 'logged')
  t.equal((await store.alerts.getRule(2))?.activeEvents, 1, 'the other rules still ran')
  await clock.advance(30_000)
  t.equal(calls, 2, 'second pass at +60 s, running until +125 s')
  // (the fake clock's advance() ends at +60 s again; the next timer was set at +125 s)
  await clock.advance(89_999)
  t.equal(calls, 2, 'the +90 s and +120 s slots are skipped, not run back to back')
  await clock.advance(1)
  t.equal(calls, 3, 'next pass on the +150 s slot')
  await loop.stop()
  t.equal(clock.pending(), 0, 'stop cancels the next pass')
  await clock.advance(60_000)
  t.equal(calls, 3)
})

t.test('options are checked when built', async t => {
  const { store } = await alertsSetup(t, { webhook: false })
  const log = { info () {}, warn () {} }
  t.throws(() => (createLoop({ store, log, everyMs: 0 })), /everyMs must be > 0/)
  t.throws(() => (createLoop({ store: {} as never, log })), /store with alerts/)
  t.throws(() => (createLoop({ store, log, webhook: { maxAttempts: -1 } })), /maxAttempts must be > 0/)
})

function createLoop (o: Omit<AlertsLoopOptions, 'now'>) { return createAlertsLoop({ now: () => NOW, ...o }) }

t.test('health_degraded: a failed or pending row remap and a recent hardware Xid from the agent\'s report', async t => {
  const { store, clock, loop, fleet, open } = await alertsSetup(t, { webhook: false })
  const a = await fleet.node({ hostname: 'a', gpus: 4 }, NOW)
  const none: GpuHealth = { xidCount: null, xidLast: null, xidLastAt: null, remappedRowsCorrectable: 0, remappedRowsUncorrectable: 0, remappedRowsPending: false, remappedRowsFailure: false }
  const report = (at: number, health: Record<number, Partial<GpuHealth>>) =>
    store.fleet.registerGpus(a.nodeId, [0, 1, 2, 3].map(i => ({ gpuIndex: i, health: { ...none, ...health[i] } })), at)
  await report(NOW, {
    0: { remappedRowsPending: true, remappedRowsUncorrectable: 1 },
    1: { xidCount: 2, xidLast: 79, xidLastAt: NOW - 10 * MIN },
    2: { xidCount: 5, xidLast: 13, xidLastAt: NOW - MIN },
    3: { remappedRowsFailure: true },
  })
  const first = await loop.evaluate()
  t.same(subjects(first.fired).sort(), [0, 1, 3].map(i => `health_degraded gpu:${a.gpuIds[i]}`).sort(), 'Xid 13 is an application fault, not the GPU\'s')
  t.match(first.fired.find(e => e.subject.id === a.gpuIds[0])?.message, 'GPU a/0 degraded: row remap pending (reset the GPU to apply it)')
  t.match(first.fired.find(e => e.subject.id === a.gpuIds[1])?.message, `GPU a/1 degraded: Xid 79 at ${new Date(NOW - 10 * MIN).toISOString()}`)
  t.match(first.fired.find(e => e.subject.id === a.gpuIds[3])?.message, 'GPU a/3 degraded: row remapping failed')

  // The GPU was reset (the remap applied), and the Xid is an hour old.
  await report(NOW + 51 * MIN, { 1: { xidCount: 2, xidLast: 79, xidLastAt: NOW - 10 * MIN }, 3: { remappedRowsFailure: true } })
  clock.set(NOW + 51 * MIN)
  const later = await loop.evaluate()
  t.same(subjects(later.resolved).sort(), [0, 1].map(i => `health_degraded gpu:${a.gpuIds[i]}`).sort())
  t.same(subjects(await open()), [`health_degraded gpu:${a.gpuIds[3]}`], 'a failed remap stays: the GPU needs replacing')
})
