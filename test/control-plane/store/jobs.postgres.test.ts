import t from 'tap'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { jobsSuite } from './jobs-suite.ts'
import { jobInput } from './tenants-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  jobsSuite(t, pg.openStore)
})

t.test('postgres: two stores (replicas) cycling at once never double-assign a GPU or double-start a job', async t => {
  const pg = await postgresTestDatabase(t)
  const T0 = Date.UTC(2026, 4, 9)
  const [a, b] = await pg.openTwoReplicas(t)
  const c = await addCluster(a, 'c', [{ gpus: 4 }, { gpus: 4 }], T0)
  for (let i = 0; i < 12; i++) {
    await (i % 2 === 0 ? a : b).jobs.submit(jobInput(c.clusterId, null, { gpuCount: 1 + (i % 3) }), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
  }
  const cycles = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).jobs.runCycle(T0 + 1 + i, 'test', { freshSince: T0 - 60_000 }, planCycle)))
  t.equal(cycles.length, 8)
  const running = (await a.jobs.list({ status: 'running', limit: 100, offset: 0 })).jobs
  const held = (await Promise.all(running.map(j => a.jobs.gpusOf(j.id)))).flat().filter(g => g.releasedAt === null)
  t.equal(new Set(held.map(g => g.gpuId)).size, held.length, 'no GPU held twice')
  t.ok(held.length <= 8 && held.length > 0)
  t.equal(held.length, running.reduce((n, j) => n + j.gpuCount, 0), 'each running job holds exactly its GPUs')
  for (const j of running) {
    const started = (await a.jobs.eventsOf(j.id, 100)).filter(e => e.kind === 'started')
    t.equal(started.length, 1, `job ${j.id} started once`)
  }
})
