import t, { type Test } from 'tap'
import { fleetHarness } from './fleet-harness.ts'

const MB = 'x'.repeat(1024 * 1024)
const SQLISH = "gpu-01'; DROP TABLE nodes; -- \" ` \\ %_"

async function setup (t: Test) {
  const h = fleetHarness()
  t.teardown(h.close)
  await h.post('/api/clusters', { name: 'c', region: 'r' })
  await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: 'gpu-01' })
  await h.post('/api/clusters/gpus', { node_id: 1, gpus: [{ gpu_index: 0 }] })
  /** Everything the fleet holds, to prove a rejected request wrote nothing. */
  const snapshot = async () => JSON.stringify([
    await h.store.fleet.listClusters(), await h.store.fleet.listNodes(), await h.store.fleet.listGpus(), await h.store.fleet.listNodeEvents(),
  ])
  return { h, snapshot }
}

type Case = [label: string, body: unknown, status: number, code?: string]

async function rejects (t: Test, path: string, cases: Case[]) {
  const { h, snapshot } = await setup(t)
  const before = await snapshot()
  for (const [label, body, status, code] of cases) {
    const res = typeof body === 'string' ? await h.postRaw(path, body) : await h.post(path, body)
    t.equal(res.status, status, `${path} ${label} → ${status}`)
    t.match(res.body, { statusCode: status, code: code ?? String, error: String, message: String }, `${label}: the one error shape`)
  }
  t.equal(await snapshot(), before, `${path}: nothing written`)
  t.notOk(h.lines.some(l => l.level === 'error'), 'no unhandled errors')
}

const common: Case[] = [
  ['invalid JSON', '{"name": ', 400, 'BAD_REQUEST'],
  ['empty body', '', 400, 'BAD_REQUEST'],
  ['JSON array', [], 400, 'VALIDATION_FAILED'],
  ['JSON string', '"hello"', 400, 'VALIDATION_FAILED'],
  ['null', 'null', 400, 'VALIDATION_FAILED'],
]

t.test('POST /api/clusters', async t => {
  await rejects(t, '/api/clusters', [
    ...common,
    ['missing name', { region: 'r' }, 400, 'VALIDATION_FAILED'],
    ['name a number', { name: 42 }, 400, 'VALIDATION_FAILED'],
    ['empty name', { name: '' }, 400, 'VALIDATION_FAILED'],
    ['1 MB name', { name: MB }, 400, 'VALIDATION_FAILED'],
    ['1 MB region', { name: 'n', region: MB }, 400, 'VALIDATION_FAILED'],
    ['region not a string', { name: 'n', region: ['us'] }, 400, 'VALIDATION_FAILED'],
    ['duplicate name', { name: 'c' }, 409, 'CLUSTER_EXISTS'],
  ])
})

t.test('POST /api/clusters without a JSON content type → 415, nothing written', async t => {
  const { h, snapshot } = await setup(t)
  const before = await snapshot()
  const res = await h.app.request('/api/clusters', { method: 'POST', headers: { authorization: 'Bearer scopes:admin', 'content-type': 'text/plain' }, body: '{"name":"n"}' })
  t.equal(res.status, 415)
  t.equal(await snapshot(), before)
})

t.test('GET /api/clusters/:id', async t => {
  const { h } = await setup(t)
  for (const [id, status] of [['abc', 400], ['-1', 400], ['1e3', 400], ['0x1', 400], ['1.5', 400], ['9'.repeat(16), 400], ['0', 404], ['999', 404], ['999999999999999', 404]] as const) {
    const res = await h.get(`/api/clusters/${id}`)
    t.equal(res.status, status, `id ${id} → ${status}`)
    t.match(res.body, { statusCode: status, code: status === 404 ? 'CLUSTER_NOT_FOUND' : 'VALIDATION_FAILED' })
  }
  t.equal((await h.get(`/api/clusters/${encodeURIComponent("1' OR '1'='1")}`)).status, 400)
})

t.test('POST /api/clusters/nodes', async t => {
  await rejects(t, '/api/clusters/nodes', [
    ...common,
    ['missing hostname', { cluster_id: 1 }, 400, 'VALIDATION_FAILED'],
    ['neither cluster_id nor cluster_name', { hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id a string', { cluster_id: '1', hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id fractional', { cluster_id: 1.5, hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id negative', { cluster_id: -1, hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id huge', { cluster_id: 1e300, hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['unknown cluster_id', { cluster_id: 999, hostname: 'h' }, 404, 'CLUSTER_NOT_FOUND'],
    ['negative total_gpus', { cluster_id: 1, hostname: 'h', total_gpus: -8 }, 400, 'VALIDATION_FAILED'],
    ['huge ram_gb', { cluster_id: 1, hostname: 'h', ram_gb: 1e18 }, 400, 'VALIDATION_FAILED'],
    ['cpu_cores a string', { cluster_id: 1, hostname: 'h', cpu_cores: 'lots' }, 400, 'VALIDATION_FAILED'],
    ['1 MB hostname', { cluster_id: 1, hostname: MB }, 400, 'VALIDATION_FAILED'],
    ['1 MB cluster_name', { cluster_name: MB, hostname: 'h' }, 400, 'VALIDATION_FAILED'],
    ['1 MB ip_address', { cluster_id: 1, hostname: 'h', ip_address: MB }, 400, 'VALIDATION_FAILED'],
    ['agent_url not a URL', { cluster_id: 1, hostname: 'h', agent_url: 'not a url' }, 400, 'VALIDATION_FAILED'],
    ['empty hostname', { cluster_id: 1, hostname: '' }, 400, 'VALIDATION_FAILED'],
  ])
})

t.test('POST /api/clusters/gpus', async t => {
  await rejects(t, '/api/clusters/gpus', [
    ...common,
    ['missing node_id', { gpus: [] }, 400, 'VALIDATION_FAILED'],
    ['missing gpus', { node_id: 1 }, 400, 'VALIDATION_FAILED'],
    ['gpus not an array', { node_id: 1, gpus: { gpu_index: 0 } }, 400, 'VALIDATION_FAILED'],
    ['unknown node_id', { node_id: 999, gpus: [{ gpu_index: 0 }] }, 404, 'NODE_NOT_FOUND'],
    ['node_id a string', { node_id: '1', gpus: [] }, 400, 'VALIDATION_FAILED'],
    ['negative gpu_index', { node_id: 1, gpus: [{ gpu_index: -1 }] }, 400, 'VALIDATION_FAILED'],
    ['gpu_index over 255', { node_id: 1, gpus: [{ gpu_index: 256 }] }, 400, 'VALIDATION_FAILED'],
    ['negative vram_mb', { node_id: 1, gpus: [{ gpu_index: 1, vram_mb: -1 }] }, 400, 'VALIDATION_FAILED'],
    ['huge vram_mb', { node_id: 1, gpus: [{ gpu_index: 1, vram_mb: 1e300 }] }, 400, 'VALIDATION_FAILED'],
    ['1 MB model', { node_id: 1, gpus: [{ gpu_index: 1, model: MB }] }, 400, 'VALIDATION_FAILED'],
    ['a bad entry among good ones', { node_id: 1, gpus: [{ gpu_index: 1 }, { gpu_index: 'two' }] }, 400, 'VALIDATION_FAILED'],
    ['too many GPUs', { node_id: 1, gpus: Array.from({ length: 1025 }, (_, i) => ({ gpu_index: i % 256 })) }, 400, 'VALIDATION_FAILED'],
    ['health not an object', { node_id: 1, gpus: [{ gpu_index: 0, health: 'ok' }] }, 400, 'VALIDATION_FAILED'],
    ['negative xid', { node_id: 1, gpus: [{ gpu_index: 0, health: { xid_last: -1 } }] }, 400, 'VALIDATION_FAILED'],
    ['fractional xid count', { node_id: 1, gpus: [{ gpu_index: 0, health: { xid_count: 1.5 } }] }, 400, 'VALIDATION_FAILED'],
    ['xid time not ISO', { node_id: 1, gpus: [{ gpu_index: 0, health: { xid_last_at: 'yesterday' } }] }, 400, 'VALIDATION_FAILED'],
    ['pending as a string', { node_id: 1, gpus: [{ gpu_index: 0, health: { remapped_rows_pending: 'Yes' } }] }, 400, 'VALIDATION_FAILED'],
    ['negative remapped rows', { node_id: 1, gpus: [{ gpu_index: 0, health: { remapped_rows_uncorrectable: -2 } }] }, 400, 'VALIDATION_FAILED'],
  ])
})

t.test('POST /api/clusters/metrics: envelope errors are 400, nothing written', async t => {
  await rejects(t, '/api/clusters/metrics', [
    ...common,
    ['missing metrics', {}, 400, 'VALIDATION_FAILED'],
    ['metrics not an array', { metrics: { gpu_id: 1 } }, 400, 'VALIDATION_FAILED'],
    ['more than 10000 rows', { metrics: Array.from({ length: 10_001 }, () => ({ gpu_id: 1, utilization_pct: 50 })) }, 400, 'VALIDATION_FAILED'],
  ])
})

t.test('SQL metacharacters are stored verbatim', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const created = await h.post('/api/clusters', { name: SQLISH, region: "r'--" })
  t.equal(created.body.name, SQLISH)
  const node = await h.post('/api/clusters/nodes', { cluster_id: 1, hostname: SQLISH, ip_address: "1' OR 1=1" }, 'ingest')
  t.equal(node.status, 201)
  t.equal(node.body.hostname, SQLISH)
  const byName = await h.post('/api/clusters/nodes', { cluster_name: SQLISH, hostname: SQLISH })
  t.equal(byName.body.id, node.body.id, 'found again by the same hostname and cluster name')
  await h.post('/api/clusters/gpus', { node_id: 1, gpus: [{ gpu_index: 0, model: "H100'); --", uuid: 'GPU-%_' }] })
  const detail = await h.get('/api/clusters/1')
  t.equal(detail.body.name, SQLISH)
  t.equal(detail.body.region, "r'--")
  t.equal(detail.body.nodes[0].hostname, SQLISH)
  t.equal(detail.body.nodes[0].ip_address, "1' OR 1=1")
  t.match(detail.body.nodes[0].gpus[0], { model: "H100'); --", uuid: 'GPU-%_' })
  t.equal((await h.get('/api/clusters')).body.length, 1, 'the tables are all still there')
})
