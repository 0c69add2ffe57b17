import t from 'tap'
import { createFleetRouter } from '../../../control-plane/fleet/create-fleet-router.ts'
import { createRegionsRouter } from '../../../control-plane/fleet/create-regions-router.ts'
import { memoryLog, testRequireScope } from '../router-harness.ts'
import { T0, fleetHarness, openFleetStore } from './fleet-harness.ts'

const ISO0 = new Date(T0).toISOString()

t.test('POST /api/clusters: the record with a generated key, minted by the injected function', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const res = await h.post('/api/clusters', { name: 'my-cluster', region: 'us-west-2' }, 'admin')
  t.equal(res.status, 201)
  t.same(res.body, {
    id: 1, name: 'my-cluster', region: 'us-west-2', status: 'active', created_at: ISO0, default_time_limit_min: null,
    node_count: 0, gpu_count: 0, active_jobs: 0, queued_jobs: 0,
    api_key: `gfk_00000001${'a'.repeat(56)}`, api_key_prefix: 'gfk_00000001',
  })
  t.same(h.keyCalls, [{ clusterId: 1, label: 'cluster my-cluster agents' }])

  const dup = await h.post('/api/clusters', { name: 'my-cluster' }, 'admin')
  t.equal(dup.status, 409)
  t.match(dup.body, { statusCode: 409, code: 'CLUSTER_EXISTS', error: 'Conflict', message: String })
  t.equal(h.keyCalls.length, 1, 'no key minted for a rejected cluster')

  const noRegion = await h.post('/api/clusters', { name: 'bare' })
  t.equal(noRegion.body.region, null)
})

t.test('POST /api/clusters: a failed key mint leaves no cluster behind', async t => {
  const h = fleetHarness({ createClusterKey: async () => { throw new Error('key store down') } })
  t.teardown(h.close)
  const res = await h.post('/api/clusters', { name: 'c' })
  t.equal(res.status, 500)
  t.equal(res.body.code, 'INTERNAL')
  t.same(await h.store.fleet.listClusters(), [])
})

t.test('GET /api/clusters: seed shape with node/gpu counts and injected job counts', async t => {
  const h = fleetHarness({ jobCounts: async ids => new Map(ids.filter(id => id === 1).map(id => [id, { active_jobs: 3, queued_jobs: 2 }])) })
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'us-east-prod', region: 'us-east-1' })
  await h.post('/api/clusters', { name: 'empty' })
  const node = await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01', total_gpus: 2 })
  await h.post('/api/clusters/gpus', { node_id: node.body.id, gpus: [{ gpu_index: 0 }, { gpu_index: 1 }] })
  const res = await h.get('/api/clusters', 'read')
  t.equal(res.status, 200)
  t.same(res.body, [
    { id: 1, name: 'us-east-prod', region: 'us-east-1', status: 'active', created_at: ISO0, node_count: 1, gpu_count: 2, active_jobs: 3, queued_jobs: 2 },
    { id: 2, name: 'empty', region: null, status: 'active', created_at: ISO0, node_count: 0, gpu_count: 0, active_jobs: 0, queued_jobs: 0 },
  ])
})

t.test('POST /api/clusters/nodes: seed fields, idempotent by hostname, doubles as heartbeat', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c1', region: 'us-east-1' })
  const body = { cluster_id: 1, hostname: 'gpu-01', ip_address: '10.0.1.10', total_gpus: 8, cpu_cores: 128, ram_gb: 1024 }
  const first = await h.post('/api/clusters/nodes', body, 'write')
  t.equal(first.status, 201)
  t.same(first.body, {
    id: 1, cluster_id: 1, hostname: 'gpu-01', ip_address: '10.0.1.10', total_gpus: 8, cpu_cores: 128, ram_gb: 1024,
    agent_url: null, status: 'online', last_seen_at: ISO0, registered_at: ISO0, cluster_name: 'c1', created: true,
  })

  h.clock.set(T0 + 30_000)
  const again = await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01', agent_url: 'http://10.0.1.10:9410' }, 'ingest')
  t.equal(again.status, 200)
  t.match(again.body, { id: 1, ip_address: '10.0.1.10', total_gpus: 8, agent_url: 'http://10.0.1.10:9410', last_seen_at: new Date(T0 + 30_000).toISOString(), registered_at: ISO0, created: false })
  t.equal((await h.store.fleet.listNodes()).length, 1)
})

t.test('POST /api/clusters/nodes: cluster_name (+region) finds or creates the cluster', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const a = await h.post('/api/clusters/nodes', { cluster_name: 'edge-yto', region: 'yto-01', hostname: 'yto-gpu-1' }, 'ingest')
  t.equal(a.status, 201)
  t.match(a.body, { cluster_id: 1, cluster_name: 'edge-yto' })
  const b = await h.post('/api/clusters/nodes', { cluster_name: 'edge-yto', hostname: 'yto-gpu-2' }, 'ingest')
  t.match(b.body, { id: 2, cluster_id: 1 })
  const clusters = await h.store.fleet.listClusters()
  t.same(clusters.map(c => [c.name, c.region, c.nodeCount]), [['edge-yto', 'yto-01', 2]])
  t.equal(h.keyCalls.length, 0, 'an agent-created cluster mints no key (the agent already has one)')
})

t.test('POST /api/clusters/gpus: idempotent per index and uuid, returns only new records', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01' })
  const gpus = [{ gpu_index: 0, model: 'NVIDIA H100 80GB', vram_mb: 81920 }, { gpu_index: 1, model: 'NVIDIA H100 80GB', vram_mb: 81920, uuid: 'GPU-1111' }]
  const first = await h.post('/api/clusters/gpus', { node_id: 1, gpus }, 'ingest')
  t.equal(first.status, 201)
  t.same(first.body, [
    { id: 1, node_id: 1, gpu_index: 0, uuid: null, model: 'NVIDIA H100 80GB', vram_mb: 81920, status: 'unknown', utilization_pct: null, memory_used_mb: null, memory_total_mb: null, temperature_c: null, power_draw_w: null, updated_at: null, created_at: ISO0, mig_mode: null, mig_instances: null },
    { id: 2, node_id: 1, gpu_index: 1, uuid: 'GPU-1111', model: 'NVIDIA H100 80GB', vram_mb: 81920, status: 'unknown', utilization_pct: null, memory_used_mb: null, memory_total_mb: null, temperature_c: null, power_draw_w: null, updated_at: null, created_at: ISO0, mig_mode: null, mig_instances: null },
  ])
  const again = await h.post('/api/clusters/gpus', { node_id: 1, gpus }, 'write')
  t.equal(again.status, 200)
  t.same(again.body, [], 'nothing new')
  const byUuid = await h.post('/api/clusters/gpus', { node_id: 1, gpus: [{ uuid: 'GPU-1111', vram_mb: 80000 }, { gpu_index: 2 }, { gpu_index: 2 }] })
  t.same(byUuid.body.map((g: { gpu_index: number }) => g.gpu_index), [2], 'uuid matched; a repeated index in one request makes one record')
  t.equal((await h.store.fleet.listGpus({ ids: [2] }))[0]?.vramMb, 80000)
})

t.test('POST /api/clusters/gpus with health: stored, and shown on the GPU records once reported', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01' })
  const health = { xid_count: 2, xid_last: 79, xid_last_at: '2026-05-08T23:50:00.000Z', remapped_rows_correctable: 0, remapped_rows_uncorrectable: 1, remapped_rows_pending: true, remapped_rows_failure: false }
  const res = await h.post('/api/clusters/gpus', { node_id: 1, gpus: [{ gpu_index: 0, health }, { gpu_index: 1 }] }, 'ingest')
  t.equal(res.status, 201)
  t.same(res.body[0].health, { ...health, reported_at: ISO0 })
  t.notOk('health' in res.body[1], 'a GPU never reported on has no health')
  const cluster = await h.get('/api/clusters/1')
  t.same(cluster.body.nodes[0].gpus[0].health, { ...health, reported_at: ISO0 })
  t.match((await h.store.fleet.listGpus({ ids: [1] }))[0]?.health, { xidLast: 79, xidLastAt: Date.parse(health.xid_last_at), remappedRowsPending: true })
})

t.test('GET /api/clusters/:id: cluster, nodes with GPUs and live readings, recent jobs', async t => {
  const h = fleetHarness({ recentJobs: async id => [{ id: 42, cluster_id: id }] })
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c', region: 'r' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-02' })
  await h.post('/api/clusters/gpus', { node_id: 1, gpus: [{ gpu_index: 0, model: 'H100' }] })
  await h.post('/api/clusters/metrics', { metrics: [{ gpu_id: 1, utilization_pct: 87.3, memory_used_mb: 71680, memory_total_mb: 81920, temperature_c: 72.1, power_draw_w: 410.5 }] })
  const res = await h.get('/api/clusters/1', 'read')
  t.equal(res.status, 200)
  t.match(res.body, {
    id: 1, name: 'c', region: 'r', status: 'active', node_count: 2, gpu_count: 1, active_jobs: 0, queued_jobs: 0,
    recent_jobs: [{ id: 42, cluster_id: 1 }],
  })
  t.same(res.body.nodes.map((n: { hostname: string, status: string, gpus: unknown[] }) => [n.hostname, n.status, n.gpus.length]), [['gpu-01', 'online', 1], ['gpu-02', 'online', 0]])
  t.match(res.body.nodes[0].gpus[0], { gpu_index: 0, status: 'active', utilization_pct: 87.3, memory_used_mb: 71680, memory_total_mb: 81920, temperature_c: 72.1, power_draw_w: 410.5, updated_at: ISO0 })

  const plain = fleetHarness()
  t.teardown(plain.close)
  await plain.post('/api/clusters', { name: 'c' })
  t.same((await plain.get('/api/clusters/1')).body.recent_jobs, [], 'no jobs module yet → []')
})

t.test('scopes: read for GETs, admin to create clusters, write or ingest to register and push', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const cases: Array<[string, string, unknown, string, number]> = [
    ['GET', '/api/clusters', undefined, '', 401],
    ['GET', '/api/clusters', undefined, 'ingest', 403],
    ['GET', '/api/clusters', undefined, 'read', 200],
    ['POST', '/api/clusters', { name: 'x' }, 'write', 403],
    ['POST', '/api/clusters', { name: 'x' }, 'ingest', 403],
    ['POST', '/api/clusters', { name: 'x' }, 'admin', 201],
    ['GET', '/api/clusters/1', undefined, 'ingest', 403],
    ['GET', '/api/clusters/1', undefined, 'read', 200],
    ['POST', '/api/clusters/nodes', { cluster_id: 1, hostname: 'a' }, '', 401],
    ['POST', '/api/clusters/nodes', { cluster_id: 1, hostname: 'a' }, 'read', 403],
    ['POST', '/api/clusters/nodes', { cluster_id: 1, hostname: 'a' }, 'ingest', 201],
    ['POST', '/api/clusters/nodes', { cluster_id: 1, hostname: 'b' }, 'write', 201],
    ['POST', '/api/clusters/gpus', { node_id: 1, gpus: [] }, 'read', 403],
    ['POST', '/api/clusters/gpus', { node_id: 1, gpus: [] }, 'ingest', 200],
    ['POST', '/api/clusters/metrics', { metrics: [] }, 'read', 403],
    ['POST', '/api/clusters/metrics', { metrics: [] }, 'ingest', 200],
    ['POST', '/api/clusters/metrics', { metrics: [] }, 'write', 200],
    ['GET', '/v1/regions', undefined, 'ingest', 403],
    ['GET', '/v1/regions', undefined, 'read', 200],
    ['GET', '/v1/route', undefined, '', 401],
  ]
  for (const [method, path, body, scopes, status] of cases) {
    const res = method === 'GET' ? await h.get(path, scopes) : await h.post(path, body, scopes)
    t.equal(res.status, status, `${method} ${path} as "${scopes}" → ${status}`)
    if (status >= 400) t.match(res.body, { statusCode: status, code: String, error: String, message: String })
  }
})

t.test('routes are documented in /openapi.json with descriptions', async t => {
  const store = openFleetStore()
  t.teardown(() => store.close())
  const { log } = memoryLog()
  const deps = { store, requireScope: testRequireScope, now: () => T0 }
  const fleet = createFleetRouter({ ...deps, log, createClusterKey: async () => ({ key: 'k', key_prefix: 'k' }) })
  const regions = createRegionsRouter(deps)
  const info = { openapi: '3.1.0', info: { title: 't', version: '1' } }
  const doc = { ...fleet.getOpenAPI31Document(info).paths, ...regions.getOpenAPI31Document(info).paths }
  const expected: Array<[string, string]> = [
    ['/api/clusters', 'get'], ['/api/clusters', 'post'], ['/api/clusters/{id}', 'get'], ['/api/clusters/nodes', 'post'],
    ['/api/clusters/gpus', 'post'], ['/api/clusters/metrics', 'post'], ['/v1/regions', 'get'], ['/v1/route', 'get'],
  ]
  for (const [path, method] of expected) {
    const op = (doc[path] as Record<string, { description?: string }> | undefined)?.[method]
    t.ok(op !== undefined && (op.description ?? '').length > 20, `${method.toUpperCase()} ${path} documented`)
  }
  const routeParams = (doc['/v1/route'] as { get: { parameters: Array<{ name: string }> } }).get.parameters.map(p => p.name)
  t.same(routeParams.sort(), ['gpu_model', 'min_free_mb', 'region'])
})
