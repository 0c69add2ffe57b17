import t from 'tap'
import { consoleHarness } from '../console/console-harness.ts'

// A row as the agent pushes it for the H100 of the MIG capture under load (utilization [N/A]).
const instances = [
  { gpu_instance_id: 2, compute_instance_id: 0, profile: '3g.40gb', uuid: 'MIG-00000000-0000-0000-0000-000000000000', memory_total_mb: 40448, memory_used_mb: 11091 },
  { gpu_instance_id: 3, compute_instance_id: 0, profile: '2g.20gb', uuid: 'MIG-00000001-0000-0000-0000-000000000001', memory_total_mb: 20096, memory_used_mb: 17 },
  { gpu_instance_id: 9, compute_instance_id: 0, profile: '1g.10gb', uuid: 'MIG-00000002-0000-0000-0000-000000000002', memory_total_mb: 9984, memory_used_mb: 9 },
  { gpu_instance_id: 10, compute_instance_id: 0, profile: '1g.10gb', uuid: 'MIG-00000003-0000-0000-0000-000000000003', memory_total_mb: 9984, memory_used_mb: 9 },
]
const row = (at: number, extra: Record<string, unknown> = {}) => ({
  gpu_id: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-00000000-0000-0000-0000-000000000000', recorded_at: new Date(at).toISOString(),
  power_draw_w: 432.35, temp_c: 52, memory_used_mb: 11125, memory_total_mb: 81559, utilization_pct: null, mig_mode: 'Enabled', mig_instances: instances, ...extra,
})

t.test('MIG rows upstream: the fleet keeps each GPU\'s MIG devices and says unknown, not idle; the console shows both', async t => {
  const h = await consoleHarness(t)
  const push = (gpus: unknown[]) => h.req('POST', '/api/gpu-stats', { key: h.root, json: { node: { hostname: 'mig-host', cluster: 'mig' }, gpus } })
  const res = await push([row(h.now() - 500)])
  t.match(res.body, { ok: true, accepted: 1, duplicates: 0, skipped: 0 })
  const gpuOf = async () => {
    const clusters = (await h.req('GET', '/api/clusters', { key: h.root })).body
    const detail = (await h.req('GET', `/api/clusters/${clusters[0].id}`, { key: h.root })).body
    return detail.nodes[0]?.gpus[0]
  }
  let gpu: any
  await waitUntilAsync(async () => (gpu = await gpuOf())?.mig_mode === 'Enabled')
  t.match(gpu, { status: 'unknown', utilization_pct: null, power_draw_w: 432.35, mig_mode: 'Enabled', mig_instances: instances })

  const { cookie } = await h.login()
  const page = await h.req('GET', '/', { cookie })
  t.match(page.text, 'MIG 3g.40gb · 2g.20gb · 1g.10gb ×2')
  t.match(page.text, 'utilization unknown (not schedulable)')

  const bad = await push([
    row(h.now() - 400, { mig_instances: [{ gpu_instance_id: -1 }] }),
    row(h.now() - 300, { mig_mode: 'On' }),
    row(h.now() - 200, { gpu_id: 1, mig_mode: undefined, mig_instances: undefined }),
  ])
  t.match(bad.body, { ok: true, accepted: 1, duplicates: 0, skipped: 2 }, 'a malformed MIG part skips its row (fail-soft), the rest ingest')
})

async function waitUntilAsync (check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the fleet to take the MIG row')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
