import t from 'tap'
import { toGpuStatRows } from '../../agent/uplink/to-gpu-stat-rows.ts'
import { defaultSimState } from '../fakes/sim-state.ts'
import { agentHarness, promSamples } from './api/fixtures.ts'
import { simCollector } from './collector/sim-collector.ts'
import { waitUntil } from './collector/wait-until.ts'
import { telemetryApp } from '../control-plane/telemetry/telemetry-app.ts'

// The P-state, added as one row of shared/gpu-fields.ts (plus a telemetry migration per
// engine), through the real path: the simulator prints it, the collector reads it, the agent
// exports it as DCGM does and sends it up; the control plane stores it and serves it back.
t.test('pstate: simulator → collector → /metrics and uplink rows → ingest → store → GET /api/gpu-stats', async t => {
  const state = defaultSimState(3)
  state.gpus[1]!.pstate = 'P8'
  state.gpus[2]!.overrides = { pstate: '[N/A]' }
  const { collector, snapshots } = simCollector(t, state)
  await collector.start()
  await waitUntil(() => snapshots.length > 0, 'a snapshot', 60_000)
  const snapshot = snapshots[0]!
  t.same(snapshot.gpus.map(g => g.pstate), ['P0', 'P8', null], 'the collector keeps nvidia-smi\'s text')

  const { app: agent } = await agentHarness({ snapshot, deps: { staleAfterMs: 3_600_000, now: () => snapshot.recordedAt } })
  const metrics = await (await agent.request('/metrics')).text()
  t.match(metrics, /^# HELP DCGM_FI_DEV_PSTATE \S/m)
  t.same(promSamples(metrics, 'DCGM_FI_DEV_PSTATE').map(s => [s.labels.gpu, s.value]), [['0', 0], ['1', 8]], 'no series where there is no reading')

  const rows = toGpuStatRows(snapshot)
  t.same(rows.map(r => r.pstate), [0, 8, null], 'the wire carries the number')

  const cp = await telemetryApp(t)
  cp.clock.now = snapshot.recordedAt
  const res = await cp.post({ node: { hostname: 'sim-host', cluster: 'test' }, gpus: rows })
  t.match(await res.json(), { ok: true, accepted: 3, skipped: 0 })
  const latest = await (await cp.get('/api/gpu-stats')).json() as Array<Record<string, unknown>>
  t.same(latest.map(r => [r.gpu_id, r.pstate]), [[0, 0], [1, 8], [2, null]], 'stored and served back')

  const bad = await cp.post({ gpus: [{ ...rows[0], gpu_id: 9, pstate: 16 }] })
  t.match(await bad.json(), { ok: true, accepted: 0, skipped: 1 }, 'P0..P15 only: a row out of range is skipped')
})
