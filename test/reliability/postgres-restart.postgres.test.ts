import t from 'tap'
import { join } from 'node:path'
import { openPostgresStore } from '../../control-plane/store/postgres/open-postgres-store.ts'
import { spawnControlPlane } from '../helpers/spawn-control-plane.ts'
import { spawnAgent } from '../helpers/spawn-agent.ts'
import { startPrivatePostgres } from '../helpers/private-postgres.ts'
import { createCluster, registerSims } from './fleet-client.ts'
import { startAckedPushers } from './start-acked-pushers.ts'
import { until } from './until.ts'

// Real processes (PostgreSQL included) on a shared box, and an agent backoff of up to 30 s.
t.setTimeout(300_000)

t.test('restart PostgreSQL under load: 503s (never 500) meanwhile, the control plane recovers by itself, the agent backfills, nothing acknowledged is lost', async t => {
  const pg = await startPrivatePostgres()
  t.teardown(() => pg.destroy())
  const cp = await spawnControlPlane(pg.url)
  t.teardown(() => cp.kill())
  t.teardown(() => { if (cp.run.child.exitCode !== null && cp.run.child.exitCode !== 0) t.comment(cp.run.stderr().slice(-4000)) })
  const key = await createCluster(cp.url, cp.adminKey, 'reliability')
  const sims = await registerSims(cp.url, key, 'reliability', 8, 'pg-node')
  const agent = await spawnAgent({ controlPlane: cp.url, apiKey: key, stateDir: join(t.testdir(), 'agent') })
  t.teardown(() => agent.stop())
  const pushers = startAckedPushers(() => cp.url, key, sims, Date.now() - 3600_000)
  t.teardown(() => pushers.stop())
  await until('pushes acknowledged and the agent pushing', async () => pushers.acked().length >= 100 && (await agent.metrics()).gpufleet_agent_pushed_samples_total! > 0)

  pg.stop('fast')
  const ackedAtStop = pushers.acked().length
  await until('pushes refused while the database is down', () => pushers.failed() >= 20)
  const health = await fetch(`${cp.url}/healthz`)
  t.equal(health.status, 503, '/healthz says not ready while the database is down')
  t.match(await health.json(), { code: 'STORE_UNAVAILABLE' })
  await until('the agent spooling', async () => (await agent.metrics()).gpufleet_agent_spool_samples! > 0)
  t.equal(cp.run.child.exitCode, null, 'the control plane is still running')

  pg.start()
  await until('the control plane serving again by itself', async () => (await fetch(`${cp.url}/healthz`)).status === 200)
  await until('pushes acknowledged again', () => pushers.acked().length >= ackedAtStop + 100)
  await pushers.stop()
  await until('the agent replayed its spool', async () => (await agent.metrics()).gpufleet_agent_spool_samples === 0)
  const statuses = pushers.statuses()
  t.notOk('500' in statuses, `no 500 while the database was away: ${JSON.stringify(statuses)}`)
  t.ok(statuses['503']! > 0, 'the refusals were 503 STORE_UNAVAILABLE')

  t.equal((await cp.stop()).code, 0)
  const failuresBefore = (await agent.metrics()).gpufleet_agent_push_failures_total!
  await until('the agent noticed the control plane is gone', async () => (await agent.metrics()).gpufleet_agent_push_failures_total! > failuresBefore)
  const agentPushed = (await agent.metrics()).gpufleet_agent_pushed_samples_total!
  await agent.stop()

  const store = await openPostgresStore(pg.url)
  t.teardown(() => store.close())
  let missing = 0
  for (const p of pushers.acked()) {
    if (p.rows !== 8 || await store.telemetry.countSamples({ nodeId: p.nodeId, fromMs: p.at, toMs: p.at + 1 }) !== 8) missing++
  }
  t.equal(missing, 0, `all ${pushers.acked().length} acknowledged pushes are stored`)
  const node = await store.fleet.getNodeByHostname('rel-agent')
  t.equal(await store.telemetry.countSamples({ nodeId: node!.id }), agentPushed, `the agent's ${agentPushed} acknowledged samples (spooled ones included) are stored`)
})
