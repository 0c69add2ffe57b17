import t from 'tap'
import { join } from 'node:path'
import { spawnAgent } from '../helpers/spawn-agent.ts'
import { openSqliteStore } from '../../control-plane/store/sqlite/open-sqlite-store.ts'
import { registerSims } from './fleet-client.ts'
import { startAckedPushers } from './start-acked-pushers.ts'
import { restartableControlPlane } from './restartable-control-plane.ts'
import { until } from './until.ts'

// Real processes on a shared box, and an agent backoff of up to 30 s: more than tap's default.
t.setTimeout(300_000)

t.test('SIGKILL the control plane mid-ingest, restart it: every acknowledged sample is there, the agent backfills', async t => {
  const plane = await restartableControlPlane(t)
  const { dir, db, key } = plane
  let cp = plane.cp
  const sims = await registerSims(cp.url, key, 'reliability', 16, 'kill-node')
  const agent = await spawnAgent({ controlPlane: cp.url, apiKey: key, stateDir: join(dir, 'agent') })
  t.teardown(() => agent.stop())

  const pushers = startAckedPushers(() => cp.url, key, sims, Date.now() - 3600_000)
  await until('300 pushes acknowledged and the agent pushing', async () => pushers.acked().length >= 300 && (await agent.metrics()).gpufleet_agent_pushed_samples_total! > 0)

  const killed = await cp.kill()
  t.equal(killed.signal, 'SIGKILL', 'killed mid-ingest (16 pushers and the agent were sending)')
  const ackedAtKill = pushers.acked().length
  await until('pushes failing while it is down', () => pushers.failed() > 0)
  await until('the agent spooling', async () => (await agent.metrics()).gpufleet_agent_spool_samples! > 0)

  cp = await plane.restart()
  await until('pushes acknowledged again after the restart', () => pushers.acked().length >= ackedAtKill + 100)
  await pushers.stop()
  await until('the agent replayed its spool', async () => {
    const m = await agent.metrics()
    return m.gpufleet_agent_spool_samples === 0 && m.gpufleet_agent_push_failures_total! > 0
  })

  // Orderly stop: from here nothing more can be acknowledged, so the agent's count is final.
  t.equal((await cp.stop()).code, 0)
  const failuresBefore = (await agent.metrics()).gpufleet_agent_push_failures_total!
  await until('the agent noticed the control plane is gone', async () => (await agent.metrics()).gpufleet_agent_push_failures_total! > failuresBefore)
  const agentPushed = (await agent.metrics()).gpufleet_agent_pushed_samples_total!
  await agent.stop()

  const store = await openSqliteStore(db)
  t.teardown(() => store.close())
  let missing = 0
  for (const p of pushers.acked()) {
    if (p.rows !== 8 || await store.telemetry.countSamples({ nodeId: p.nodeId, fromMs: p.at, toMs: p.at + 1 }) !== 8) missing++
  }
  t.equal(missing, 0, `all ${pushers.acked().length} acknowledged pushes (${pushers.acked().length * 8} samples) are stored; ${pushers.failed()} unacknowledged attempts around the kill`)
  const agentNode = await store.fleet.getNodeByHostname('rel-agent')
  t.ok(agentNode, 'the agent registered')
  t.equal(await store.telemetry.countSamples({ nodeId: agentNode!.id }), agentPushed, `the agent's acknowledged samples (${agentPushed}, spooled ones included) = its rows stored`)
})
