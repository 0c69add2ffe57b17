import t from 'tap'
import { createLivenessLoop } from '../../../control-plane/fleet/create-liveness-loop.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { memoryLog } from '../router-harness.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { jobInput } from '../store/tenants-suite.ts'
import { T0, fakeClock } from './fleet-harness.ts'

t.test('a node offline past the grace period: its running jobs fail NODE_FAIL (or requeue) and stop metering', async t => {
  const store = await openSqliteStore(':memory:')
  const clock = fakeClock()
  const { lines, log } = memoryLog()
  const lost: number[] = []
  const loop = createLivenessLoop({
    store, now: clock.now, timers: clock.timers, log, offlineAfterMs: 90_000, nodeFailGraceMs: 120_000, everyMs: 15_000,
    onJobsLost: jobs => { lost.push(...jobs.map(j => j.job.id)) },
  })
  t.teardown(async () => { await loop.stop(); await store.close() })
  const c = await addCluster(store, 'c', [{ gpus: 2 }], T0)
  const submit = async (requeue: boolean) => {
    const r = await store.jobs.submit(jobInput(c.clusterId, null, { requeue }), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
    if (!r.ok) throw new Error(r.reason)
    return r.job.id
  }
  const failing = await submit(false)
  const requeued = await submit(true)
  await store.jobs.runCycle(T0 + 1, 'test', { freshSince: T0 - 60_000 }, planCycle)
  loop.start()

  // The agent stops reporting at T0: offline at the +105 s pass, lost at the first pass past +210 s.
  await clock.advance(200_000)
  t.equal((await store.fleet.getNode(c.nodes[0]!.id))?.status, 'offline')
  t.match(await store.jobs.get(failing), { status: 'running' }, 'offline, within the grace period: still running')
  await clock.advance(25_000)
  const at = T0 + 225_000
  t.match(await store.jobs.get(failing), { status: 'failed', endReason: 'NODE_FAIL', endedAt: at })
  t.match(await store.jobs.get(requeued), { status: 'queued', startedAt: null })
  for (const id of [failing, requeued]) {
    t.ok((await store.jobs.gpusOf(id)).every(g => g.releasedAt === at), `job ${id}: GPU intervals closed at the loss`)
  }
  t.same(lost.sort(), [failing, requeued].sort(), 'the scheduler is told')
  t.ok(lines.some(l => l.level === 'warn' && /NODE_FAIL/.test(l.msg)))
  const usage = await store.billing.meterIntervals({ from: T0, to: T0 + 86_400_000, now: T0 + 86_400_000 })
  t.ok(usage.every(u => u.end === at && !u.running), 'nothing is metered past the loss')
})
