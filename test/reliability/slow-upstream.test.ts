import t from 'tap'
import { join } from 'node:path'
import { startControlPlaneSink } from '../fakes/control-plane-sink.ts'
import { spawnAgent } from '../helpers/spawn-agent.ts'
import { GPU_STATS_PATH } from '../../shared/wire/gpu-stats.ts'
import { until } from './until.ts'

// Real processes on a shared box, and an agent backoff of up to 30 s: more than tap's default.
t.setTimeout(300_000)

t.test('a control plane that accepts but answers slowly: the agent API keeps answering, samples spool and backfill, none lost', async t => {
  const apiKey = `gfk_${'i'.repeat(64)}`
  const operatorKey = `gfk_${'o'.repeat(64)}`
  const sink = await startControlPlaneSink({ apiKey, operatorKeys: { [operatorKey]: ['superadmin'] } })
  t.teardown(() => sink.close())
  const agent = await spawnAgent({ controlPlane: sink.url, apiKey, operatorKey, stateDir: join(t.testdir(), 'agent') })
  t.teardown(() => agent.stop())
  await until('samples arriving', () => sink.rows().length >= 16)

  // From now on every push is read and stored but not answered (until the agent's 5 s timeout).
  sink.setMode('slow')
  const hanging = () => sink.requests().filter(r => r.path === GPU_STATS_PATH && r.status === 0).length
  await until('a push hanging upstream', () => hanging() > 0)
  const statuses: number[] = []
  for (let i = 0; i < 30; i++) statuses.push((await agent.get('/v1/gpu/status')).status, (await agent.get('/v1/gpu/memory')).status)
  t.same([...new Set(statuses)], [200], '60 operator API requests answered with fresh data (a stale one is 503)')
  t.ok(hanging() > 0, 'all of them while the push was still hanging')
  await until('the agent gave up on the slow push and spooled', async () => (await agent.metrics()).gpufleet_agent_spool_samples! > 0)

  sink.setMode('ok')
  await until('the spool replayed', async () => {
    const m = await agent.metrics()
    return m.gpufleet_agent_spool_samples === 0 && m.gpufleet_agent_push_failures_total! > 0
  })
  // Refuse from here (nothing stored, nothing acknowledged), so the agent's count is final.
  sink.setMode({ status: 503 })
  const failures = (await agent.metrics()).gpufleet_agent_push_failures_total!
  await until('the agent saw the refusal', async () => (await agent.metrics()).gpufleet_agent_push_failures_total! > failures)
  const m = await agent.metrics()
  t.equal(sink.rows().length, m.gpufleet_agent_pushed_samples_total, `every sample the agent got acknowledged is stored once (${sink.rows().length})`)
  t.ok(sink.duplicates() > 0, `rows stored by the slow pushes were re-sent after the timeout and deduplicated (${sink.duplicates()})`)
  t.equal(m.gpufleet_agent_spool_dropped_samples_total, 0, 'nothing dropped')
  const perGpu = new Map<number, Set<string>>()
  for (const r of sink.rows()) {
    if (!perGpu.has(r.gpu_id)) perGpu.set(r.gpu_id, new Set())
    perGpu.get(r.gpu_id)!.add(r.recorded_at!)
  }
  t.same([...new Set([...perGpu.values()].map(s => s.size))].length, 1, 'every GPU has the same ticks: no tick lost for one GPU')
})
