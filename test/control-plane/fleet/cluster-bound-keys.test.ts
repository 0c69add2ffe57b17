import t, { type Test } from 'tap'
import { productParts } from '../../../control-plane/product-parts.ts'
import { cpHarness, isError } from '../cp-harness.ts'

/**
 * Issue 12, "A cluster's agent key acts for its cluster only", through the whole control plane:
 * real keys from POST /api/clusters, the real auth path, the fleet and telemetry routers.
 */
async function twoClusters (t: Test) {
  const h = await cpHarness(t, { routers: productParts().routers })
  // Telemetry's group-commit timer is unref'd (it must not hold a stopping server): in process,
  // something has to keep the loop alive while a push waits for its commit.
  const keepAlive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(keepAlive))
  const make = async (name: string, region: string) => {
    const res = await h.req('POST', '/api/clusters', { key: h.root, body: { name, region } })
    t.equal(res.status, 201, `cluster ${name} created`)
    return { id: res.body.id as number, key: res.body.api_key as string, name }
  }
  const east = await make('east', 'us-east-1')
  const west = await make('west', 'us-west-2')
  const register = (key: string, body: Record<string, unknown>) => h.req('POST', '/api/clusters/nodes', { key, body })
  const westNode = await register(west.key, { cluster_name: 'west', hostname: 'w-01', agent_url: 'http://10.2.0.1:9410' })
  t.equal(westNode.status, 201, 'west registers its own node')
  const clusters = async () => ((await h.req('GET', '/api/clusters', { key: h.root })).body as Array<{ name: string, region: string | null }>)
  const node = async (hostname: string) => {
    const all = await h.store.fleet.listNodes()
    return all.find(n => n.hostname === hostname) ?? null
  }
  return { h, east, west, westNodeId: westNode.body.id as number, register, clusters, node }
}

t.test('POST /api/clusters returns a key bound to that cluster; the key list shows the binding', async t => {
  const { h, east, west } = await twoClusters(t)
  const list = await h.list()
  t.match(list.find(k => k.label === 'cluster east agents'), { permissions: ['ingest'], cluster_id: east.id })
  t.match(list.find(k => k.label === 'cluster west agents'), { permissions: ['ingest'], cluster_id: west.id })
})

t.test('registration: another cluster\'s hostname is 403 NODE_OWNED_BY_OTHER_CLUSTER and nothing changes', async t => {
  const { east, register, node } = await twoClusters(t)
  const before = await node('w-01')
  const res = await register(east.key, { cluster_name: 'east', hostname: 'w-01', agent_url: 'http://6.6.6.6:9410', ip_address: '6.6.6.6' })
  isError(t, res, 403, 'NODE_OWNED_BY_OTHER_CLUSTER')
  t.match(res.body.details, { key_cluster_id: east.id, key_cluster: 'east', hostname: 'w-01' })
  t.same(await node('w-01'), before, 'not moved, agent_url and address unchanged, not even marked seen')
  isError(t, await register(east.key, { cluster_id: east.id, hostname: 'w-01' }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'by cluster_id too')
  t.same(await node('w-01'), before)
  const own = await register(east.key, { cluster_name: 'east', region: 'us-east-1', hostname: 'e-01', total_gpus: 8 })
  t.equal(own.status, 201, 'its own node registers')
  t.equal(own.body.cluster_id, east.id)
  t.equal((await register(east.key, { cluster_id: east.id, hostname: 'e-01', agent_url: 'http://10.1.0.1:9410' })).status, 200, 'and heartbeats')
})

t.test('registration: a bound key names only its own cluster and region, and creates none', async t => {
  const { h, east, west, register, clusters, node } = await twoClusters(t)
  const before = await clusters()
  isError(t, await register(east.key, { cluster_id: west.id, hostname: 'e-02' }), 403, 'CLUSTER_MISMATCH', 'another cluster by id')
  isError(t, await register(east.key, { cluster_name: 'west', hostname: 'e-02' }), 403, 'CLUSTER_MISMATCH', 'another cluster by name')
  isError(t, await register(east.key, { cluster_name: 'rogue', region: 'eu-evil-1', hostname: 'e-02' }), 403, 'CLUSTER_MISMATCH', 'a new cluster')
  isError(t, await register(east.key, { cluster_id: east.id, cluster_name: 'west', hostname: 'e-02' }), 403, 'CLUSTER_MISMATCH', 'id and name disagree')
  const region = await register(east.key, { cluster_name: 'east', region: 'eu-evil-1', hostname: 'e-02' })
  isError(t, region, 403, 'REGION_MISMATCH', 'another region')
  t.equal(region.body.details.key_cluster_region, 'us-east-1')
  t.same(await clusters(), before, 'no cluster or region was created')
  t.equal(await node('e-02'), null, 'no node was created')
  const unbound = await h.mint(['ingest'])
  t.equal((await register(unbound.key, { cluster_name: 'made-by-unbound', region: 'ap-1', hostname: 'u-01' })).status, 201, 'an unbound ingest key still creates clusters (today\'s behaviour)')
  t.equal((await register(unbound.key, { cluster_id: east.id, hostname: 'w-01' })).status, 200, 'and may move nodes, as an admin decided')
  t.equal((await node('w-01'))?.clusterId, east.id)
})

t.test('POST /api/clusters/gpus and /api/clusters/metrics: only the key\'s own nodes', async t => {
  const { h, east, west, westNodeId, register } = await twoClusters(t)
  const gpus = await h.req('POST', '/api/clusters/gpus', { key: west.key, body: { node_id: westNodeId, gpus: [{ gpu_index: 0, model: 'NVIDIA B200', vram_mb: 183359 }] } })
  t.equal(gpus.status, 201, 'west registers GPUs on its node')
  const westGpu = gpus.body[0].id as number
  isError(t, await h.req('POST', '/api/clusters/gpus', { key: east.key, body: { node_id: westNodeId, gpus: [{ gpu_index: 1 }] } }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'east adds no GPU to west\'s node')
  t.equal((await h.store.fleet.listGpus({ nodeId: westNodeId })).length, 1, 'nothing written')

  const eastNode = (await register(east.key, { cluster_name: 'east', hostname: 'e-01' })).body.id as number
  const eastGpu = (await h.req('POST', '/api/clusters/gpus', { key: east.key, body: { node_id: eastNode, gpus: [{ gpu_index: 0 }] } })).body[0].id as number
  const forged = await h.req('POST', '/api/clusters/metrics', {
    key: east.key,
    body: { metrics: [{ gpu_id: eastGpu, utilization_pct: 50 }, { gpu_id: westGpu, utilization_pct: 0, memory_used_mb: 0, memory_total_mb: 183359 }] },
  })
  isError(t, forged, 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'a reading for another cluster\'s GPU')
  t.same(forged.body.details.gpu_ids, [westGpu])
  const [w] = await h.store.fleet.listGpus({ ids: [westGpu] })
  const [e] = await h.store.fleet.listGpus({ ids: [eastGpu] })
  t.equal(w?.updatedAt, null, 'west\'s GPU has no reading')
  t.equal(e?.updatedAt, null, 'all or nothing: not even the own row was applied')
  const ok = await h.req('POST', '/api/clusters/metrics', { key: east.key, body: { metrics: [{ gpu_id: eastGpu, utilization_pct: 50 }] } })
  t.equal(ok.status, 200)
  t.equal(ok.body.updated, 1, 'its own readings apply')
})

t.test('POST /api/gpu-stats: a bound key pushes for its own cluster\'s nodes only', async t => {
  const { h, east, clusters, node } = await twoClusters(t)
  const push = (node: Record<string, unknown> | undefined, key = east.key) =>
    h.req('POST', '/api/gpu-stats', { key, body: { ...(node === undefined ? {} : { node }), gpus: [{ gpu_id: 0, name: 'NVIDIA B200', power_draw_w: 600, memory_used_mb: 0, memory_total_mb: 183359 }] } })
  const before = await clusters()
  isError(t, await push({ hostname: 'w-01', cluster: 'east' }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'readings for west\'s node')
  isError(t, await push({ hostname: 'w-01' }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'without naming a cluster too')
  isError(t, await push({ hostname: 'x-01', cluster: 'rogue', region: 'eu-evil-1' }), 403, 'CLUSTER_MISMATCH', 'a new cluster by pushing')
  isError(t, await push({ hostname: 'x-01', cluster: 'east', region: 'eu-evil-1' }), 403, 'REGION_MISMATCH', 'a new region by pushing')
  t.same(await clusters(), before, 'no cluster or region created')
  t.equal(await node('x-01'), null, 'no node created')
  t.equal((await h.req('GET', '/api/gpu-stats', { key: h.root })).body.length, 0, 'no reading stored')
  const westId = (await node('w-01'))?.id
  isError(t, await push({ hostname: 'w-01', node_id: westId }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'by node_id too')

  const own = await push({ hostname: 'e-07', cluster: 'east', region: 'us-east-1' })
  t.equal(own.status, 200, 'a new node of its own cluster')
  t.equal(own.body.accepted, 1)
  t.equal((await node('e-07'))?.clusterId, east.id)
  t.equal((await push({ hostname: 'e-08' })).status, 200, 'a node that names no cluster lands in the key\'s cluster')
  t.equal((await node('e-08'))?.clusterId, east.id, 'not in "default"')
  t.notOk((await clusters()).some(c => c.name === 'default'))
  const unbound = await h.mint(['ingest'])
  t.equal((await push({ hostname: 'u-01', cluster: 'made-by-push' }, unbound.key)).status, 200, 'an unbound key keeps today\'s behaviour')
  t.ok((await clusters()).some(c => c.name === 'made-by-push'))
})

t.test('what an agent may claim is bounded: no 1 TB GPU for GET /v1/route to hand out', async t => {
  const { h, east, register } = await twoClusters(t)
  const liar = await register(east.key, { cluster_name: 'east', hostname: 'e-liar', total_gpus: 100_000 })
  isError(t, liar, 400, 'VALIDATION_FAILED', 'more GPUs than a node has')
  for (const [field, value] of [['cpu_cores', 1_000_000], ['ram_gb', 1_000_000]] as const) {
    isError(t, await register(east.key, { cluster_name: 'east', hostname: 'e-liar', [field]: value }), 400, 'VALIDATION_FAILED', field)
  }
  const nodeId = (await register(east.key, { cluster_name: 'east', hostname: 'e-liar', total_gpus: 8, cpu_cores: 224, ram_gb: 2048 })).body.id
  isError(t, await h.req('POST', '/api/clusters/gpus', { key: east.key, body: { node_id: nodeId, gpus: [{ gpu_index: 0, vram_mb: 1_000_000 }] } }), 400, 'VALIDATION_FAILED', 'a 1 TB GPU')
  const pushed = await h.req('POST', '/api/gpu-stats', {
    key: east.key,
    body: { node: { hostname: 'e-liar', cluster: 'east' }, gpus: [{ gpu_id: 0, name: 'NVIDIA B200', memory_used_mb: 0, memory_total_mb: 1_000_000 }] },
  })
  t.equal(pushed.status, 200, 'seed 000 fail-soft: the row is skipped, not the request')
  t.match(pushed.body, { accepted: 0, skipped: 1 })
  const gpu = (await h.req('POST', '/api/clusters/gpus', { key: east.key, body: { node_id: nodeId, gpus: [{ gpu_index: 0 }] } })).body[0].id
  const metrics = await h.req('POST', '/api/clusters/metrics', { key: east.key, body: { metrics: [{ gpu_id: gpu, memory_used_mb: 0, memory_total_mb: 1_000_000 }] } })
  t.match(metrics.body, { updated: 0, skipped: [{ gpu_id: gpu }] })
  isError(t, await h.req('GET', '/v1/route?min_free_mb=600000', { key: h.root }), 503, 'NO_HEALTHY_REGION', 'nothing to hand out')
})

t.test('POST /api/api-keys: cluster_id binds an agent key; bad combinations are refused with nothing written', async t => {
  const { h, east, westNodeId } = await twoClusters(t)
  const before = (await h.list()).length
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'x', cluster_id: 999 } }), 404, 'CLUSTER_NOT_FOUND')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'x', cluster_id: east.id, permissions: ['ingest', 'read'] } }), 400, 'VALIDATION_FAILED', 'an agent key is ingest only')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'x', cluster_id: east.id, tenant_id: 3 } }), 400, 'VALIDATION_FAILED', 'not tenant-bound too')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'x', cluster_id: 0 } }), 400, 'VALIDATION_FAILED', 'id 0')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'x', cluster_id: 'east' } }), 400, 'VALIDATION_FAILED', 'not a number')
  t.equal((await h.list()).length, before, 'nothing written')
  const rotated = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'east agents, rotated', cluster_id: east.id } })
  t.equal(rotated.status, 201)
  t.match(rotated.body, { permissions: ['ingest'], cluster_id: east.id })
  isError(t, await h.req('POST', '/api/clusters/gpus', { key: rotated.body.key, body: { node_id: westNodeId, gpus: [{ gpu_index: 3 }] } }), 403, 'NODE_OWNED_BY_OTHER_CLUSTER', 'and it is bound')
  const unbound = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'fleet-wide agent', permissions: ['ingest'] } })
  t.equal(unbound.body.cluster_id, null, 'an ingest key without cluster_id is unbound, deliberately')
})

t.test('a cluster-bound key writes no fleet-wide analytics (serving layers\' inference records and endpoints)', async t => {
  const { h, east } = await twoClusters(t)
  const records = await h.req('POST', '/v1/inference/records', { key: east.key, body: { records: [] } })
  isError(t, records, 403, 'FORBIDDEN')
  t.equal(records.body.details.key_cluster_id, east.id)
  isError(t, await h.req('PUT', '/v1/endpoints/chat', { key: east.key, body: { model: 'm', replicas: 1 } }), 403, 'FORBIDDEN')
  isError(t, await h.req('DELETE', '/v1/endpoints/chat', { key: east.key }), 403, 'FORBIDDEN')
  const unbound = await h.mint(['ingest'])
  t.equal((await h.req('POST', '/v1/inference/records', { key: unbound.key, body: { records: [] } })).status, 200, 'an unbound ingest key (a serving layer) still reports')
})
