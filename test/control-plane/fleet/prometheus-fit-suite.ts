import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { cpHarness, isError } from '../cp-harness.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { createScheduler } from '../../../control-plane/scheduling/create-scheduler.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'

const silent = { debug () {}, info () {}, warn () {}, error () {} }

/**
 * Cluster "east" (us-east-1): two online 2-GPU nodes and one offline 2-GPU node; cluster "lab"
 * (no region) with one node registered over HTTPS; a running 2-GPU job and a job that never fits.
 */
async function setup (t: Test, open: OpenStore) {
  const store = await open(t)
  const h = await cpHarness(t, { routers: productParts().routers, ...(store === undefined ? {} : { store }) })
  const at = h.now()
  const east = await addCluster(h.store, 'east', [{ gpus: 2 }, { gpus: 2 }, { gpus: 2, online: false }], at)
  const lab = await h.store.fleet.createCluster({ name: 'lab', region: null }, at)
  const nodes = await h.store.fleet.listNodes()
  for (const [i, n] of nodes.entries()) await h.store.fleet.upsertNode({ clusterId: n.clusterId, hostname: n.hostname, agentUrl: `http://10.0.0.${i + 1}:9410` }, n.lastSeenAt ?? at)
  await h.store.fleet.upsertNode({ clusterId: lab!.id, hostname: 'lab-01', agentUrl: 'https://lab-01.example.internal:9443' }, at)
  await h.store.fleet.upsertNode({ clusterId: lab!.id, hostname: 'lab-02' }, at)
  // The heartbeat above brought the offline node back: it stays silent since 10 min ago.
  await h.store.fleet.markStaleNodesOffline(at - 1000, at)
  const submit = async (gpuCount: number) => (await h.req('POST', '/api/jobs', { key: h.root, body: { cluster_id: east.clusterId, name: `j${gpuCount}`, gpu_count: gpuCount } })).body
  await submit(2)
  await submit(64)
  await createScheduler({ store: h.store, now: h.now, log: silent }).runCycle('test')
  return { h, east, nodes }
}

/** The harness's own SQLite store when it answers undefined; else a store the opener closes. */
export type OpenStore = (t: Test) => Promise<Store | undefined>

/** Both tests over `open`'s store (prometheus-fit.test.ts: SQLite; .postgres.test.ts: PostgreSQL). */
export function prometheusFitSuite (t: Test, open: OpenStore): void {
t.test('GET /api/prometheus/targets: http_sd groups for every agent, labelled; read scope, no tenant keys', async t => {
  const { h, nodes } = await setup(t, open)
  const read = (await h.mint(['read'])).key
  const res = await h.req('GET', '/api/prometheus/targets', { key: read })
  t.equal(res.status, 200)
  t.same(res.body, [
    ...nodes.map((n, i) => ({ targets: [`10.0.0.${i + 1}:9410`], labels: { cluster: 'east', region: 'test-1', hostname: n.hostname, __scheme__: 'http', __metrics_path__: '/metrics' } })),
    { targets: ['lab-01.example.internal:9443'], labels: { cluster: 'lab', region: '', hostname: 'lab-01', __scheme__: 'https', __metrics_path__: '/metrics' } },
  ], 'offline nodes included (Prometheus reports them down); a node without agent_url left out')
  const lab = await h.req('GET', '/api/prometheus/targets?cluster=lab', { key: read })
  t.same(lab.body.map((g: { labels: { hostname: string } }) => g.labels.hostname), ['lab-01'], '?cluster= narrows to one cluster')

  isError(t, await h.req('GET', '/api/prometheus/targets'), 401, 'UNAUTHORIZED')
  isError(t, await h.req('GET', '/api/prometheus/targets', { key: (await h.mint(['ingest'])).key }), 403, 'FORBIDDEN')
  const tenant = (await h.req('POST', '/api/tenants', { key: h.root, body: { name: 'acme', gpu_quota: 4 } })).body.id as number
  isError(t, await h.req('GET', '/api/prometheus/targets', { key: (await h.mint(['admin'], { tenant_id: tenant })).key }), 403, 'FORBIDDEN', 'a tenant-bound key is refused')
  isError(t, await h.req('GET', '/api/prometheus/targets?cluster=nope', { key: read }), 404, 'CLUSTER_NOT_FOUND')
  isError(t, await h.req('GET', '/api/prometheus/targets?cluster=', { key: read }), 400, 'VALIDATION_FAILED')
})

t.test('/metrics: fleet gauges read from the store at scrape time', async t => {
  const { h } = await setup(t, open)
  const metrics = async () => (await h.req('GET', '/metrics')).text
  let text = await metrics()
  const value = (name: string, labels: string): number | undefined => {
    const m = text.match(new RegExp(`^${name}\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\S+)$`, 'm'))
    return m === null ? undefined : Number(m[1])
  }
  t.match(text, /^gpufleet_cp_fleet_scrape_success 1$/m)
  t.equal(value('gpufleet_cp_nodes', 'cluster="east",status="online"'), 2)
  t.equal(value('gpufleet_cp_nodes', 'cluster="east",status="offline"'), 1)
  t.equal(value('gpufleet_cp_nodes', 'cluster="lab",status="online"'), 2)
  t.equal(value('gpufleet_cp_gpus', 'cluster="east",state="allocated"'), 2)
  t.equal(value('gpufleet_cp_gpus', 'cluster="east",state="idle"'), 2)
  t.equal(value('gpufleet_cp_gpus', 'cluster="east",state="offline"'), 2)
  t.equal(value('gpufleet_cp_gpus', 'cluster="east",state="unknown"'), 0)
  t.equal(value('gpufleet_cp_queue_jobs', 'reason="NEVER_FITS_CLUSTER"'), 1, 'the 64-GPU job waits, by reason')
  t.equal(value('gpufleet_cp_queue_jobs', 'reason="CAPACITY"'), 0)
  t.equal(value('gpufleet_cp_alerts_firing', 'rule_type="idle_gpu"'), 0)
  t.equal(value('gpufleet_cp_ingest_lag_seconds', 'cluster="east"'), 0)
  t.equal(value('gpufleet_cp_ingest_lag_seconds', 'cluster="lab"'), undefined, 'no reading from lab: no lag series')
  h.advance(5000)
  text = await metrics()
  t.equal(value('gpufleet_cp_ingest_lag_seconds', 'cluster="east"'), 5, 'readings 5 s old')
})
}
