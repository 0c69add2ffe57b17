import t from 'tap'
import { fleetHarness } from './fleet-harness.ts'

t.test('a cluster\'s default_time_limit_min: set at create or by PATCH, shown on the cluster', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const made = await h.post('/api/clusters', { name: 'c', default_time_limit_min: 1440 }, 'admin')
  t.match(made, { status: 201, body: { default_time_limit_min: 1440 } })
  const id = made.body.id as number
  t.match(await h.get(`/api/clusters/${id}`), { status: 200, body: { default_time_limit_min: 1440 } })

  t.match(await h.request('PATCH', `/api/clusters/${id}`, { default_time_limit_min: 60 }, 'admin'), { status: 200, body: { id, default_time_limit_min: 60 } })
  t.equal((await h.store.fleet.getCluster(id))?.defaultTimeLimitMin, 60)
  t.match(await h.request('PATCH', `/api/clusters/${id}`, { default_time_limit_min: null }, 'admin'), { status: 200, body: { default_time_limit_min: null } })
  t.equal((await h.store.fleet.getCluster(id))?.defaultTimeLimitMin, null)
  // What submits do with it: test/control-plane/store/jobs-suite.ts, on both engines.
})

t.test('bad inputs: 400/403/404 with stable codes, nothing written', async t => {
  const h = fleetHarness()
  t.teardown(h.close)
  const id = (await h.post('/api/clusters', { name: 'c' }, 'admin')).body.id as number
  for (const bad of [0, -1, 1.5, '60', 525_601, true]) {
    t.match(await h.post('/api/clusters', { name: `x${String(bad)}`, default_time_limit_min: bad }, 'admin'), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `create ${JSON.stringify(bad)}`)
    t.match(await h.request('PATCH', `/api/clusters/${id}`, { default_time_limit_min: bad }, 'admin'), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `patch ${JSON.stringify(bad)}`)
  }
  t.match(await h.request('PATCH', `/api/clusters/${id}`, {}, 'admin'), { status: 400, body: { code: 'VALIDATION_FAILED' } }, 'the field is required')
  t.match(await h.request('PATCH', `/api/clusters/${id}`, { default_time_limit_min: 5, region: 'x' }, 'admin'), { status: 400, body: { code: 'VALIDATION_FAILED' } }, 'unknown fields refused')
  t.match(await h.request('PATCH', '/api/clusters/999', { default_time_limit_min: 5 }, 'admin'), { status: 404, body: { code: 'CLUSTER_NOT_FOUND' } })
  t.match(await h.request('PATCH', '/api/clusters/abc', { default_time_limit_min: 5 }, 'admin'), { status: 400 })
  t.match(await h.request('PATCH', `/api/clusters/${id}`, { default_time_limit_min: 5 }, 'write'), { status: 403 })
  t.equal((await h.store.fleet.getCluster(id))?.defaultTimeLimitMin, null, 'nothing written')
  t.equal((await h.store.fleet.listClusters()).length, 1)
})
