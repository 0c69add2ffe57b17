import t from 'tap'
import { MIN, NOW } from '../alerts/alerts-harness.ts'
import { insightApp } from '../alerts/insight-app.ts'

t.test('GET /api/dashboard: topology with latest metrics, summary, the 20 most recent jobs', async t => {
  const h = await insightApp(t)
  const a = await h.fleet.node({ cluster: 'us-east-prod', hostname: 'a', gpus: 2 }, NOW)
  const b = await h.fleet.node({ cluster: 'eu-west', hostname: 'b', gpus: 1 }, NOW - 5 * MIN)
  await h.store.fleet.markStaleNodesOffline(NOW - MIN, NOW)
  await h.fleet.reading(a.gpuIds[0]!, { utilizationPct: 80, temperatureC: 70 }, NOW - 1000)
  await h.fleet.reading(a.gpuIds[1]!, { utilizationPct: 4, temperatureC: 50 }, NOW - 1000)
  await h.fleet.samples(a.nodeId, 1, NOW - 30_000, NOW, 30_000, 4, { eccErrorsUncorrected: 2 })
  const acme = h.rows.tenant({ name: 'acme', gpuQuota: 4 })
  const jobs = Array.from({ length: 25 }, (_, i) => h.rows.job({
    clusterId: a.clusterId, tenantId: i % 2 === 0 ? acme : null, name: `job-${i}`, status: i === 24 ? 'running' : 'queued', submittedAt: NOW - (25 - i) * 1000,
  }))
  h.rows.assign(jobs[24]!, a.gpuIds[0]!, NOW - 1000)
  await h.fleet.reading(b.gpuIds[0]!, { utilizationPct: 99, temperatureC: 99 }, NOW - 5 * MIN)
  await h.loop.evaluate()

  const res = await h.get('/api/dashboard', 'read')
  t.equal(res.status, 200)
  const body = res.body
  t.equal(body.generated_at, new Date(NOW).toISOString())
  t.same(body.summary, {
    clusters: 2, nodes: 2, nodes_online: 1, nodes_offline: 1, gpus: 3, gpus_active: 1, gpus_allocated: 1, gpus_stale: 1,
    avg_utilization_pct: 42, avg_temperature_c: 60, power_draw_w: 0,
    jobs: { running: 1, queued: 24, blocked: 0 },
    active_alerts: 2,
  }, 'averages over fresh GPUs on online nodes; alerts: node b offline, a/1 ECC')
  t.same(body.clusters.map((c: any) => [c.name, c.region, c.nodes.map((n: any) => [n.hostname, n.status, n.gpus.length])]), [
    ['us-east-prod', 'us-east-1', [['a', 'online', 2]]],
    ['eu-west', 'us-east-1', [['b', 'offline', 1]]],
  ])
  t.same(body.clusters[0].nodes[0].gpus[0], {
    id: a.gpuIds[0], gpu_index: 0, model: 'NVIDIA H100 80GB HBM3', status: 'active', utilization_pct: 80, memory_used_mb: null,
    memory_total_mb: null, temperature_c: 70, power_draw_w: null, ecc_errors_uncorrected: null, updated_at: new Date(NOW - 1000).toISOString(),
    fresh: true, job_id: jobs[24], tenant_id: acme, mig_mode: null, mig_instances: null,
  })
  t.match(body.clusters[0].nodes[0].gpus[1], { ecc_errors_uncorrected: 2, job_id: null, status: 'idle' })
  t.match(body.clusters[1].nodes[0], { last_seen_at: new Date(NOW - 5 * MIN).toISOString(), total_gpus: 1, gpus: [{ fresh: false, temperature_c: 99 }] })
  t.equal(body.recent_jobs.length, 20, 'seed 003: 20 recent jobs')
  t.same(body.recent_jobs.map((j: any) => j.name), Array.from({ length: 20 }, (_, i) => `job-${24 - i}`), 'newest first')
  t.same(body.recent_jobs[0], {
    id: jobs[24], name: 'job-24', status: 'running', tenant_id: acme, tenant_name: 'acme', cluster_id: a.clusterId, gpu_count: 1,
    gpu_type: null, priority: 5, pending_reason: null, block_reason: null, submitted_at: new Date(NOW - 1000).toISOString(), started_at: null, ended_at: null,
  })
})

t.test('an empty fleet renders empty', async t => {
  const h = await insightApp(t)
  const res = await h.get('/api/dashboard')
  t.same(res.body.summary, {
    clusters: 0, nodes: 0, nodes_online: 0, nodes_offline: 0, gpus: 0, gpus_active: 0, gpus_allocated: 0, gpus_stale: 0,
    avg_utilization_pct: null, avg_temperature_c: null, power_draw_w: 0, jobs: { running: 0, queued: 0, blocked: 0 }, active_alerts: 0,
  })
  t.same([res.body.clusters, res.body.recent_jobs], [[], []])
})

t.test('dashboard routes: auth and tenant scoping, wrong methods; nothing written', async t => {
  const h = await insightApp(t)
  await h.fleet.node({ hostname: 'a', gpus: 1 }, NOW)
  h.rows.tenant({ name: 'acme', gpuQuota: 1 })
  const before = await h.snapshot()
  for (const path of ['/api/dashboard', '/api/dashboard/kpis', '/api/dashboard/leakage']) {
    t.equal((await h.get(path, '')).status, 401, `${path} without a key`)
    t.equal((await h.get(path, 'ingest')).status, 403, `${path} with an agent key`)
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = await h.request(method, path, { body: { percentage: 'x'.repeat(1024 * 1024) } })
      t.equal(res.status, 404, `${method} ${path} → 404`)
      t.match(res.body, { statusCode: 404, code: 'NOT_FOUND' })
    }
  }
  t.equal((await h.get('/api/dashboard', 'read;tenant:1')).status, 403, 'the overview is operator data')
  t.equal((await h.get('/api/dashboard/kpis', 'read;tenant:1')).status, 403)
  t.equal((await h.get('/api/dashboard/leakage', 'read;tenant:1')).status, 200, 'leakage is narrowed instead')
  t.equal((await h.get('/api/dashboard/nope')).status, 404)
  t.equal(await h.snapshot(), before)
})
