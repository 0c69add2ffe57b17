import t, { type Test } from 'tap'
import { H, MIN, NOW } from '../alerts/alerts-harness.ts'
import { insightApp } from '../alerts/insight-app.ts'

// Seed 003's response example, verbatim: the keys and value types are the contract.
const SEED = JSON.parse(`{ "fleet_utilization": { "percentage": 73.6, "active_gpus": 26, "total_gpus": 36, "status": "good" },
  "revenue_leakage": { "percentage": 12.4, "idle_allocated_gpus": 5, "direction": "down" },
  "quota_utilization": { "percentage": 68.4, "gpus_in_use": 26, "total_quota": 38 },
  "fleet_health": { "healthy": 26, "total": 36, "status": "has_issues" },
  "active_jobs": { "running": 4, "queued": 3, "blocked": 2 } }`)
/**
 * The documented additions: the per-tenant breakdown the seed's text promises, and the GPUs
 * whose utilization is unknown (issue 11: MIG GPUs report none; they are not idle).
 */
const EXTRA: Record<string, string[]> = { quota_utilization: ['tenants'], fleet_utilization: ['unknown_gpus'] }

function shapeOf (x: unknown): unknown {
  if (x === null || typeof x !== 'object') return typeof x
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shapeOf(v)]))
}

/**
 * a: 4 GPUs online (a/0 80 %, a/1 50 %, a/2 5 %, a/3 90 % but its reading is 60 s old);
 * b: 2 GPUs online (b/0 20 % at 90 °C, b/1 0 % with an uncorrectable ECC error);
 * c: 2 GPUs on an offline node. acme's job holds a/0, a/1; beta's holds a/2, b/1 (b/1 busy
 * in the previous half hour, idle in this one; a/2 idle in both).
 */
async function constructedFleet (t: Test) {
  const h = await insightApp(t)
  const c = await h.fleet.node({ hostname: 'c', gpus: 2 }, NOW - 5 * MIN)
  const a = await h.fleet.node({ hostname: 'a', gpus: 4 }, NOW)
  const b = await h.fleet.node({ hostname: 'b', gpus: 2 }, NOW)
  await h.store.fleet.markStaleNodesOffline(NOW - MIN, NOW)
  const read = (id: number, utilizationPct: number, at = NOW, temperatureC = 60) => h.fleet.reading(id, { utilizationPct, temperatureC }, at)
  await read(a.gpuIds[0]!, 80)
  await read(a.gpuIds[1]!, 50)
  await read(a.gpuIds[2]!, 5)
  await read(a.gpuIds[3]!, 90, NOW - 60_000)
  await read(b.gpuIds[0]!, 20, NOW, 90)
  await read(b.gpuIds[1]!, 0)
  await read(c.gpuIds[0]!, 95, NOW - 5 * MIN)
  await h.fleet.samples(b.nodeId, 1, NOW - MIN, NOW, 30_000, 0, { eccErrorsUncorrected: 1 })

  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 4 })
  const beta = h.rows.tenant({ name: 'beta', gpuQuota: 6 })
  h.rows.tenant({ name: 'gone', gpuQuota: 10, status: 'inactive' })
  const j1 = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  const j2 = h.rows.job({ clusterId: a.clusterId, tenantId: beta, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  for (const [job, gpu] of [[j1, a.gpuIds[0]!], [j1, a.gpuIds[1]!], [j2, a.gpuIds[2]!], [j2, b.gpuIds[1]!]] as const) h.rows.assign(job, gpu, NOW - 2 * H)
  h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'queued', submittedAt: NOW })
  h.rows.job({ clusterId: a.clusterId, status: 'blocked', submittedAt: NOW })
  h.rows.job({ clusterId: a.clusterId, status: 'completed', submittedAt: NOW - H })

  await h.fleet.samples(a.nodeId, 0, NOW - H, NOW, MIN, 80)
  await h.fleet.samples(a.nodeId, 1, NOW - H, NOW, MIN, 50)
  await h.fleet.samples(a.nodeId, 2, NOW - H, NOW, MIN, 5)
  await h.fleet.samples(b.nodeId, 1, NOW - H, NOW - 30 * MIN, MIN, 50)
  await h.fleet.samples(b.nodeId, 1, NOW - 30 * MIN, NOW - MIN, MIN, 0)
  return { h, acme, beta }
}

t.test('GET /api/dashboard/kpis: exactly the seed example\'s keys and value types', async t => {
  const { h } = await constructedFleet(t)
  const res = await h.get('/api/dashboard/kpis', 'read')
  t.equal(res.status, 200)
  const { tenants, ...quota } = res.body.quota_utilization
  const { unknown_gpus: unknownGpus, ...utilization } = res.body.fleet_utilization
  t.equal(typeof unknownGpus, 'number')
  t.same(shapeOf({ ...res.body, quota_utilization: quota, fleet_utilization: utilization }), shapeOf(SEED), 'the seed keys, each with the seed value\'s type')
  t.same(Object.keys(res.body), Object.keys(SEED), 'same top-level keys in the same order')
  for (const [k, extra] of Object.entries(EXTRA)) t.same(Object.keys(res.body[k]), [...Object.keys(SEED[k]), ...extra], `${k}: seed keys + ${extra}`)
  t.ok(Array.isArray(tenants))
})

t.test('GET /api/dashboard/kpis: computed from the stored fleet', async t => {
  const { h, acme, beta } = await constructedFleet(t)
  const res = await h.get('/api/dashboard/kpis')
  t.same(res.body, {
    // 3 of the 6 GPUs on online nodes are fresh and above 10 %; a/3's 90 % is a minute old, so
    // its utilization now is unknown: 3 of the 5 known.
    fleet_utilization: { percentage: 60, active_gpus: 3, total_gpus: 6, status: 'good', unknown_gpus: 1 },
    // Held GPU-minutes, last 30 min: 4 GPUs × 30 = 120, idle a/2 30 + b/1 30 → 50 %.
    // The 30 min before: 120, idle a/2's 30 → 25 %: up.
    revenue_leakage: { percentage: 50, idle_allocated_gpus: 2, direction: 'up' },
    quota_utilization: {
      percentage: 40, gpus_in_use: 4, total_quota: 10,
      tenants: [
        { tenant_id: acme, name: 'acme', gpus_in_use: 2, gpu_quota: 4, percentage: 50 },
        { tenant_id: beta, name: 'beta', gpus_in_use: 2, gpu_quota: 6, percentage: 33.3 },
      ],
    },
    // Healthy: a/0, a/1, a/2. Not: a/3 (stale), b/0 (90 °C ≥ 85), b/1 (ECC), c/* (offline).
    fleet_health: { healthy: 3, total: 8, status: 'has_issues' },
    active_jobs: { running: 2, queued: 1, blocked: 1 },
  })

  await h.patch('/api/alerts/rules/3', { threshold: 95 }, 'admin')
  t.same((await h.get('/api/dashboard/kpis')).body.fleet_health, { healthy: 4, total: 8, status: 'has_issues' }, 'the health rule\'s threshold is the KPI\'s too')
})

t.test('an empty fleet: zeros, not NaN', async t => {
  const h = await insightApp(t)
  t.same((await h.get('/api/dashboard/kpis')).body, {
    fleet_utilization: { percentage: 0, active_gpus: 0, total_gpus: 0, status: 'critical', unknown_gpus: 0 },
    revenue_leakage: { percentage: 0, idle_allocated_gpus: 0, direction: 'flat' },
    quota_utilization: { percentage: 0, gpus_in_use: 0, total_quota: 0, tenants: [] },
    fleet_health: { healthy: 0, total: 0, status: 'healthy' },
    active_jobs: { running: 0, queued: 0, blocked: 0 },
  })
})

t.test('a healthy, busy fleet: good and healthy; leakage going down', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 2 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 2 })
  // Held for 2 h: the idle half hour before this one is past the hold's first 30 min (loading is not leakage).
  const job = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 2, submittedAt: NOW - 2 * H })
  for (const g of a.gpuIds) {
    h.rows.assign(job, g, NOW - 2 * H)
    await h.fleet.reading(g, { utilizationPct: 95, temperatureC: 70 }, NOW - 1000)
  }
  await h.fleet.samples(a.nodeId, 0, NOW - H, NOW, MIN, at => (at < NOW - 30 * MIN ? 2 : 95))
  await h.fleet.samples(a.nodeId, 1, NOW - H, NOW, MIN, 95)
  const k = (await h.get('/api/dashboard/kpis')).body
  t.same([k.fleet_utilization.status, k.fleet_health.status, k.revenue_leakage.direction, k.revenue_leakage.percentage], ['good', 'healthy', 'down', 0])
  t.same(k.quota_utilization, { percentage: 100, gpus_in_use: 2, total_quota: 2, tenants: [{ tenant_id: acme, name: 'acme', gpus_in_use: 2, gpu_quota: 2, percentage: 100 }] })
})

t.test('a MIG GPU (fresh reading, utilization [N/A] at 432 W) is unknown: neither active nor idle in fleet_utilization', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 3 }, NOW)
  await h.fleet.reading(a.gpuIds[0]!, { utilizationPct: 95 }, NOW - 1000)
  await h.fleet.reading(a.gpuIds[1]!, { utilizationPct: null }, NOW - 1000)
  await h.fleet.reading(a.gpuIds[2]!, { utilizationPct: null }, NOW - 1000)
  t.same((await h.get('/api/dashboard/kpis')).body.fleet_utilization, { percentage: 100, active_gpus: 1, total_gpus: 3, status: 'good', unknown_gpus: 2 })
  const overview = (await h.get('/api/dashboard')).body
  t.same(overview.clusters[0].nodes[0].gpus.map((g: any) => g.status), ['active', 'unknown', 'unknown'], 'the overview says unknown, not idle')
})

t.test('KPIs are operator data: tenant-bound keys get 403; no key 401', async t => {
  const { h, acme } = await constructedFleet(t)
  const res = await h.get('/api/dashboard/kpis', `read;tenant:${acme}`)
  t.equal(res.status, 403)
  t.match(res.body, { statusCode: 403, code: 'FORBIDDEN', error: 'Forbidden', message: /tenant-bound/ })
  t.equal((await h.get('/api/dashboard/kpis', '')).status, 401)
  t.equal((await h.get('/api/dashboard/kpis', 'ingest')).status, 403)
  t.equal((await h.get('/api/dashboard/kpis?window=abc&percentage=1e999')).status, 200, 'unknown query parameters are ignored')
})

t.test('revenue leakage: the share and the idle allocated count judge the same minutes (a fresh idle job is neither)', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ hostname: 'a', gpus: 2 }, NOW)
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 8 })
  // a/0: an idle job started 10 min ago (loading: not leakage yet); a/1: idle, held for 2 h.
  const fresh = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 1, submittedAt: NOW - 10 * MIN })
  h.rows.assign(fresh, a.gpuIds[0]!, NOW - 10 * MIN)
  await h.fleet.samples(a.nodeId, 0, NOW - 10 * MIN, NOW, MIN, 0)
  t.same((await h.get('/api/dashboard/kpis')).body.revenue_leakage, { percentage: 0, idle_allocated_gpus: 0, direction: 'flat' },
    'before: "100 % · 0 idle allocated GPUs"')

  const old = h.rows.job({ clusterId: a.clusterId, tenantId: acme, status: 'running', gpuCount: 1, submittedAt: NOW - 2 * H })
  h.rows.assign(old, a.gpuIds[1]!, NOW - 2 * H)
  await h.fleet.samples(a.nodeId, 1, NOW - H, NOW, MIN, 0)
  const k = (await h.get('/api/dashboard/kpis')).body.revenue_leakage
  const leakage = (await h.get('/api/dashboard/leakage')).body
  t.same(k, { percentage: 100, idle_allocated_gpus: 1, direction: 'flat' }, 'only the GPU past its first 30 min counts, in both')
  t.equal(k.idle_allocated_gpus, leakage.totals.idle_allocated_gpus, 'the KPI counts what the leakage report lists')
})
