import t, { type Test } from 'tap'
import { createRegionsRouter } from '../../../control-plane/fleet/create-regions-router.ts'
import { createOnError, notFound } from '../../../shared/on-error.ts'
import { memoryLog, testRequireScope } from '../router-harness.ts'
import { T0, fleetHarness, openFleetStore } from './fleet-harness.ts'

const NOW = T0 + 100_000
type G = { util: number, used: number, total: number, model: string }
const h100 = (util: number, used: number): G => ({ util, used, total: 81920, model: 'NVIDIA H100 80GB' })

/**
 * us-east-1: a1 (60000 MB free, 40 %), a2 (60000 MB free, 20 %), a3 offline (most free);
 * eu-west-1: b1 with 45 s old samples; yto-01: y1 with one A100; "lab" has no region, no nodes.
 */
async function fleet (t: Test) {
  const h = fleetHarness()
  t.teardown(h.close)
  const node = async (cluster: string, region: string, hostname: string, gpus: G[], at: number) => {
    h.clock.set(at)
    await h.service.registerNode({ cluster_name: cluster, region, hostname, agent_url: `http://${hostname}:9410` })
    const { nodeId } = await h.service.resolveIngestNode({ hostname })
    await h.service.recordActivity(nodeId, gpus.map((g, i) => ({
      gpu_id: i, name: g.model, utilization_pct: g.util, memory_used_mb: g.used, memory_total_mb: g.total,
    })), at)
  }
  await node('east', 'us-east-1', 'a3', [h100(0, 0)], T0)
  await h.store.fleet.markStaleNodesOffline(T0 + 1, T0 + 91_000)
  await node('west', 'eu-west-1', 'b1', [h100(5, 1920)], NOW - 45_000)
  await node('east', 'us-east-1', 'a1', [h100(50, 61920), h100(30, 41920)], NOW - 5000)
  await node('east', 'us-east-1', 'a2', [h100(20, 21920)], NOW - 2000)
  await node('yto', 'yto-01', 'y1', [{ util: 0, used: 960, total: 40960, model: 'NVIDIA A100 40GB' }], NOW - 1000)
  await h.post('/api/clusters', { name: 'lab' })
  h.clock.set(NOW)
  return h
}

t.test('GET /v1/regions: per-region health computed from the live readings', async t => {
  const h = await fleet(t)
  const res = await h.get('/v1/regions', 'read')
  t.equal(res.status, 200)
  t.equal(res.body.generated_at, new Date(NOW).toISOString())
  t.equal(res.body.stale_after_ms, 30_000)
  t.same(res.body.regions, [
    { region: 'eu-west-1', clusters: 1, nodes_total: 1, nodes_online: 1, nodes_fresh: 0, gpus_total: 1, gpus_online: 1, gpus_idle: 1, free_memory_mb: 80000, mean_utilization_pct: 5, newest_sample_age_ms: 45_000, healthy: false, reasons: ['stale samples: the newest is 45 s old (limit 30 s)'] },
    { region: 'unassigned', clusters: 1, nodes_total: 0, nodes_online: 0, nodes_fresh: 0, gpus_total: 0, gpus_online: 0, gpus_idle: 0, free_memory_mb: 0, mean_utilization_pct: null, newest_sample_age_ms: null, healthy: false, reasons: ['no nodes registered'] },
    { region: 'us-east-1', clusters: 1, nodes_total: 3, nodes_online: 2, nodes_fresh: 2, gpus_total: 4, gpus_online: 3, gpus_idle: 0, free_memory_mb: 120_000, mean_utilization_pct: 33.33, newest_sample_age_ms: 2000, healthy: true, reasons: [] },
    { region: 'yto-01', clusters: 1, nodes_total: 1, nodes_online: 1, nodes_fresh: 1, gpus_total: 1, gpus_online: 1, gpus_idle: 1, free_memory_mb: 40_000, mean_utilization_pct: 0, newest_sample_age_ms: 1000, healthy: true, reasons: [] },
  ])
})

t.test('GET /v1/regions: a region whose only node went offline is unhealthy, and says so', async t => {
  const h = await fleet(t)
  await h.store.fleet.markStaleNodesOffline(NOW, NOW)
  const yto = (await h.get('/v1/regions')).body.regions.find((r: { region: string }) => r.region === 'yto-01')
  t.match(yto, { nodes_online: 0, free_memory_mb: 0, healthy: false, reasons: ['no online nodes (1 offline)'] })
})

t.test('GET /v1/route: most free memory, then lower utilization; explains every candidate', async t => {
  const h = await fleet(t)
  const res = await h.get('/v1/route', 'read')
  t.equal(res.status, 200)
  t.match(res.body, {
    region: 'us-east-1',
    node: { hostname: 'a2', agent_url: 'http://a2:9410' },
    free_memory_mb: 60_000,
    mean_utilization_pct: 20,
    reason: 'ties on free memory (60000 MB) with a1; lower mean utilization (20% vs 40%)',
    candidates_total: 5,
  })
  t.same(res.body.candidates.map((c: { node: { hostname: string }, rank: number | null, eligible: boolean, why: string }) => [c.node.hostname, c.rank, c.eligible, c.why]), [
    ['a2', 1, true, res.body.reason],
    ['a1', 2, true, 'same free memory as a2, higher mean utilization (40% vs 20%)'],
    ['y1', 3, true, 'less free memory than a2 (40000 vs 60000 MB)'],
    ['b1', null, false, 'region eu-west-1 unhealthy: stale samples: the newest is 45 s old (limit 30 s)'],
    ['a3', null, false, 'node offline'],
  ])
})

t.test('GET /v1/route: min_free_mb, gpu_model and region narrow the choice', async t => {
  const h = await fleet(t)
  const big = await h.get('/v1/route?min_free_mb=50000')
  t.same(big.body.candidates.filter((c: { eligible: boolean }) => c.eligible).map((c: { node: { hostname: string } }) => c.node.hostname), ['a2', 'a1'])
  t.equal(big.body.candidates.find((c: { node: { hostname: string } }) => c.node.hostname === 'y1').why, '40000 MB free < 50000 MB required')

  const a100 = await h.get('/v1/route?gpu_model=a100')
  t.match(a100.body, { region: 'yto-01', node: { hostname: 'y1' }, free_memory_mb: 40_000, reason: 'only eligible node: 40000 MB free, 0% mean utilization' })
  t.equal(a100.body.candidates.find((c: { node: { hostname: string } }) => c.node.hostname === 'a2').why, 'no GPU matching "a100"')

  const yto = await h.get('/v1/route?region=yto-01')
  t.equal(yto.body.node.hostname, 'y1')
  t.equal(yto.body.candidates_total, 1)

  const a1Only = await h.get('/v1/route?region=us-east-1&gpu_model=H100&min_free_mb=60000')
  t.equal(a1Only.body.node.hostname, 'a2')
})

t.test('GET /v1/route: nothing qualifies → 503 NO_HEALTHY_REGION with the evidence; unknown region → 404', async t => {
  const h = await fleet(t)
  const stale = await h.get('/v1/route?region=eu-west-1')
  t.equal(stale.status, 503)
  t.match(stale.body, { statusCode: 503, code: 'NO_HEALTHY_REGION', error: 'Service Unavailable', message: 'no eligible node among 1 considered in region eu-west-1' })
  t.match(stale.body.details.regions, [{ region: 'eu-west-1', healthy: false }])
  t.match(stale.body.details.candidates, [{ node: { hostname: 'b1' }, eligible: false, why: /^region eu-west-1 unhealthy/ }])

  const tooBig = await h.get('/v1/route?min_free_mb=9999999999')
  t.equal(tooBig.status, 503)
  t.equal(tooBig.body.details.candidates_total, 5)

  t.equal((await h.get('/v1/route?region=unassigned')).status, 503)
  const mars = await h.get('/v1/route?region=mars-1')
  t.equal(mars.status, 404)
  t.match(mars.body, { code: 'REGION_NOT_FOUND', details: { regions: ['eu-west-1', 'unassigned', 'us-east-1', 'yto-01'] } })
})

t.test('empty fleet: no regions; routing answers 503, not 500', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  t.same((await h.get('/v1/regions')).body.regions, [])
  const res = await h.get('/v1/route')
  t.equal(res.status, 503)
  t.equal(res.body.code, 'NO_HEALTHY_REGION')
})

t.test('GET /v1/route: invalid parameters → 400 with the one error shape', async t => {
  const h = await fleet(t)
  const bad = ['min_free_mb=-1', 'min_free_mb=abc', 'min_free_mb=1e3', 'min_free_mb=12345678901', 'min_free_mb=', 'region=',
    `region=${'x'.repeat(1024 * 1024)}`, `gpu_model=${'h'.repeat(129)}`, 'gpu_model=']
  for (const q of bad) {
    const res = await h.get(`/v1/route?${q}`)
    t.equal(res.status, 400, `${q.slice(0, 40)} → 400`)
    t.match(res.body, { statusCode: 400, code: 'VALIDATION_FAILED', message: String })
  }
  const sqlish = await h.get(`/v1/route?region=${encodeURIComponent("us-east-1' OR '1'='1")}`)
  t.equal(sqlish.status, 404, 'a region is a value, never SQL')
})

t.test('one fleet read serves both routes for cacheMs', async t => {
  const store = openFleetStore()
  t.teardown(() => store.close())
  let now = T0
  let reads = 0
  const list = store.fleet.listNodes
  store.fleet.listNodes = async f => { reads++; return list(f) }
  const app = createRegionsRouter({ store, requireScope: testRequireScope, now: () => now, cacheMs: 1000 })
  app.onError(createOnError(memoryLog().log))
  app.notFound(notFound)
  const get = (p: string) => app.request(p, { headers: { authorization: 'Bearer scopes:read' } })
  await get('/v1/regions')
  await get('/v1/route')
  t.equal(reads, 1)
  now += 1000
  await get('/v1/regions')
  t.equal(reads, 2, 'read again once cacheMs has passed')
})
