import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { jobsSuite } from './jobs-suite.ts'
import { jobInput } from './tenants-suite.ts'

t.test('sqlite (in memory)', async t => {
  jobsSuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite file: assignments and cycles survive a restart; migrations run once', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const T0 = Date.UTC(2026, 4, 9)
  const first = await openSqliteStore(path)
  const c = await addCluster(first, 'c', [{ gpus: 2 }], T0)
  await first.jobs.submit(jobInput(c.clusterId, null, { gpuCount: 2 }), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
  await first.jobs.runCycle(T0 + 1, 'test', { freshSince: T0 + 1 - 60_000 }, planCycle)
  await first.close()

  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  t.match(await second.jobs.get(1), { status: 'running', startedAt: T0 + 1 })
  t.equal((await second.jobs.gpusOf(1)).length, 2)
  t.equal((await second.jobs.listCycles(10)).length, 1)
})
