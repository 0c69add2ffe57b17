import t, { type Test } from 'tap'
import { schedulingHarness } from './scheduling-harness.ts'

/** Two tenants with running and waiting jobs, one tenant-less job, and a tenant-bound admin key for tenant A. */
async function setup (t: Test) {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 4 }, { gpus: 4 }])
  const a = await h.tenant('tenant-a', 4)
  const b = await h.tenant('tenant-b', 4)
  const keyA = await h.mint(['read', 'write', 'admin'], a)
  const readA = await h.mint(['read'], a)
  const jobA = (await h.submit({ cluster_id: c.clusterId, name: 'a-run', gpu_count: 4, tenant_id: a })).body.id as number
  const jobB = (await h.submit({ cluster_id: c.clusterId, name: 'b-run', gpu_count: 4, tenant_id: b })).body.id as number
  const waitB = (await h.submit({ cluster_id: c.clusterId, name: 'b-wait', gpu_count: 1, tenant_id: b })).body.id as number
  const loose = (await h.submit({ cluster_id: c.clusterId, name: 'no-tenant', gpu_count: 1 })).body.id as number
  await h.settle()
  const snapshot = async () => JSON.stringify([(await h.req('GET', '/api/tenants')).body, (await h.req('GET', '/api/jobs?limit=500')).body])
  return { h, c, a, b, keyA, readA, jobA, jobB, waitB, loose, snapshot }
}

t.test('tenants: a tenant-bound key sees only its own tenant and changes none (even with admin)', async t => {
  const { h, a, b, keyA, readA, snapshot } = await setup(t)
  t.same((await h.req('GET', '/api/tenants', { key: readA })).body.map((x: { id: number }) => x.id), [a])
  t.match(await h.req('GET', `/api/tenants/${a}`, { key: readA }), { status: 200, body: { id: a, gpus_in_use: 4 } })
  t.match(await h.req('GET', `/api/tenants/${b}`, { key: readA }), { status: 404, body: { code: 'TENANT_NOT_FOUND' } }, 'another tenant is unknown')
  t.match(await h.req('GET', '/api/tenants/999', { key: readA }), { status: 404 }, 'the same answer as for nothing at all')
  const before = await snapshot()
  for (const [method, path, body] of [
    ['POST', '/api/tenants', { name: 'mine', gpu_quota: 100 }],
    ['PUT', `/api/tenants/${a}`, { gpu_quota: 100 }],
    ['PUT', `/api/tenants/${b}`, { gpu_quota: 1 }],
    ['DELETE', `/api/tenants/${b}`, undefined],
    ['DELETE', `/api/tenants/${a}`, undefined],
  ] as const) {
    t.match(await h.req(method, path, { key: keyA, ...(body === undefined ? {} : { body }) }), { status: 403, body: { code: 'FORBIDDEN' } }, `${method} ${path} → 403`)
  }
  t.equal(await snapshot(), before, 'nothing written')
})

t.test('jobs: submit for its own tenant only; list, read and patch only its own', async t => {
  const { h, c, a, b, keyA, readA, jobA, jobB, waitB, loose, snapshot } = await setup(t)
  const own = await h.submit({ cluster_id: c.clusterId, name: 'implicit' }, keyA)
  t.match(own, { status: 201, body: { tenant_id: a } }, 'no tenant_id: its own')
  t.match(await h.submit({ cluster_id: c.clusterId, name: 'explicit', tenant_id: a }, keyA), { status: 201, body: { tenant_id: a } })
  const before = await snapshot()
  t.match(await h.submit({ cluster_id: c.clusterId, name: 'theirs', tenant_id: b }, keyA), { status: 403, body: { code: 'FORBIDDEN' } })
  t.equal(await snapshot(), before, 'nothing written')

  const mine = (await h.req('GET', '/api/jobs', { key: readA })).body
  t.ok(mine.jobs.length === 3 && mine.jobs.every((j: { tenant_id: number }) => j.tenant_id === a), 'only tenant A\'s jobs')
  t.equal(mine.total, 3)
  t.same((await h.req('GET', `/api/jobs?tenant_id=${b}`, { key: readA })).body, { jobs: [], total: 0, limit: 50, offset: 0, next_offset: null })
  t.equal((await h.req('GET', `/api/jobs?tenant_id=${a}&status=running`, { key: readA })).body.total, 1)
  t.match(await h.req('GET', `/api/jobs/${jobA}`, { key: readA }), { status: 200 })
  for (const id of [jobB, waitB, loose]) {
    t.match(await h.req('GET', `/api/jobs/${id}`, { key: readA }), { status: 404, body: { code: 'JOB_NOT_FOUND' } }, `job ${id} is unknown to A`)
    t.match(await h.req('PATCH', `/api/jobs/${id}`, { key: keyA, body: { status: 'cancelled' } }), { status: 404 }, `job ${id} cannot be patched by A`)
  }
  t.equal(await snapshot(), before, 'nothing changed')
  t.match(await h.req('PATCH', `/api/jobs/${jobA}`, { key: readA, body: { status: 'completed' } }), { status: 403 }, 'read scope cannot patch')
  t.match(await h.req('PATCH', `/api/jobs/${jobA}`, { key: keyA, body: { status: 'completed' } }), { status: 200 }, 'its own: yes')
})

t.test('scheduler views: the log is operators only; metrics and the GPU map cover the tenant\'s own jobs', async t => {
  const { h, a, readA, jobA } = await setup(t)
  t.match(await h.req('GET', '/api/scheduler/logs', { key: readA }), { status: 403, body: { code: 'FORBIDDEN' } })
  const m = (await h.req('GET', '/api/dashboard/scheduling-metrics', { key: readA })).body
  t.match(m, { running_jobs: 1, queue_depth: { total: 0 }, last_cycle: null, throughput_24h: { submitted: 1, started: 1 } })
  t.same(m.clusters.map((x: { running: number }) => x.running), [1])
  const all = (await h.req('GET', '/api/dashboard/scheduling-metrics')).body
  t.match(all, { running_jobs: 2, queue_depth: { total: 2 }, throughput_24h: { submitted: 4 } }, 'an operator sees everything')
  const map = (await h.req('GET', '/api/dashboard/gpu-allocation', { key: readA })).body
  t.equal(map.total_gpus, 4)
  t.ok(map.gpus.every((g: { job: { id: number, tenant_id: number } }) => g.job.id === jobA && g.job.tenant_id === a), 'only GPUs its own job holds')
  t.equal((await h.req('GET', '/api/dashboard/gpu-allocation')).body.total_gpus, 8)
})

t.test('scopes: no key 401, a read key cannot write, a write key cannot administer tenants', async t => {
  const { h, c, snapshot } = await setup(t)
  const read = await h.mint(['read'])
  const write = await h.mint(['read', 'write'])
  const before = await snapshot()
  const cases: Array<[string, string, unknown, string | null, number]> = [
    ['GET', '/api/tenants', undefined, null, 401],
    ['GET', '/api/jobs', undefined, null, 401],
    ['GET', '/api/scheduler/logs', undefined, null, 401],
    ['GET', '/api/dashboard/scheduling-metrics', undefined, null, 401],
    ['GET', '/api/dashboard/gpu-allocation', undefined, null, 401],
    ['POST', '/api/jobs', { cluster_id: c.clusterId, name: 'x' }, null, 401],
    ['POST', '/api/jobs', { cluster_id: c.clusterId, name: 'x' }, read, 403],
    ['PATCH', '/api/jobs/1', { status: 'cancelled' }, read, 403],
    ['POST', '/api/tenants', { name: 'x', gpu_quota: 1 }, write, 403],
    ['PUT', '/api/tenants/1', { gpu_quota: 9 }, write, 403],
    ['DELETE', '/api/tenants/1', undefined, write, 403],
    ['GET', '/api/jobs', undefined, 'gfk_not-a-real-key-at-all-0000000000000000', 401],
  ]
  for (const [method, path, body, key, status] of cases) {
    const res = await h.req(method, path, { key, ...(body === undefined ? {} : { body }) })
    t.equal(res.status, status, `${method} ${path} (${key === null ? 'no key' : key === read ? 'read' : key === write ? 'write' : 'bad key'}) → ${status}`)
  }
  t.equal(await snapshot(), before, 'nothing written')
})
