import t from 'tap'
import { schedulingHarness } from './scheduling-harness.ts'

t.test('POST/GET /api/tenants: the seed\'s list shape with live usage; defaults; duplicate name 409', async t => {
  const h = await schedulingHarness(t)
  const created = await h.req('POST', '/api/tenants', { body: { name: 'Acme ML', gpu_quota: 16, contact_email: 'billing@acme.ai', plan_tier: 'enterprise' } })
  t.equal(created.status, 201)
  t.match(created.body, {
    id: 1, name: 'Acme ML', plan_tier: 'enterprise', gpu_quota: 16, gpus_in_use: 0, running_jobs: 0, queued_jobs: 0, status: 'active',
    blocked_jobs: 0, contact_email: 'billing@acme.ai', created_at: new Date(h.clock.now()).toISOString(),
  })
  const plain = await h.req('POST', '/api/tenants', { body: { name: 'NovAI Labs', gpu_quota: 10 } })
  t.match(plain.body, { plan_tier: 'starter', status: 'active', contact_email: null })
  t.match(await h.req('POST', '/api/tenants', { body: { name: 'Acme ML', gpu_quota: 1 } }), { status: 409, body: { code: 'TENANT_EXISTS' } })

  const c = await h.cluster('c', [{ gpus: 8 }])
  await h.submit({ cluster_id: c.clusterId, name: 'a', gpu_count: 4, tenant_id: 2 })
  await h.submit({ cluster_id: c.clusterId, name: 'b', gpu_count: 4, tenant_id: 2 })
  await h.submit({ cluster_id: c.clusterId, name: 'c', gpu_count: 4, tenant_id: 2 })
  await h.submit({ cluster_id: c.clusterId, name: 'd', gpu_count: 11, tenant_id: 2 })
  await h.settle()
  const list = (await h.req('GET', '/api/tenants')).body
  t.same(Object.keys(list[1]).slice(0, 8), ['id', 'name', 'plan_tier', 'gpu_quota', 'gpus_in_use', 'running_jobs', 'queued_jobs', 'status'], 'the seed\'s fields first')
  t.match(list[1], { id: 2, name: 'NovAI Labs', plan_tier: 'starter', gpu_quota: 10, gpus_in_use: 8, running_jobs: 2, queued_jobs: 2, status: 'active', blocked_jobs: 2 })
  t.match((await h.req('GET', '/api/tenants/2')).body, { id: 2, gpus_in_use: 8 })
  t.match(await h.req('GET', '/api/tenants/99'), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
})

t.test('PUT /api/tenants/:id: partial; raising a quota runs the scheduler; lowering it preempts nothing', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }])
  const id = await h.tenant('acme', 2, { contact_email: 'a@acme.ai', plan_tier: 'pro' })
  const first = (await h.submit({ cluster_id: c.clusterId, name: 'a', gpu_count: 2, tenant_id: id })).body.id
  const second = (await h.submit({ cluster_id: c.clusterId, name: 'b', gpu_count: 2, tenant_id: id })).body.id
  await h.settle()
  t.match(await h.job(second), { status: 'blocked', pending_reason: 'QUOTA' })
  const put = await h.req('PUT', `/api/tenants/${id}`, { body: { gpu_quota: 4 } })
  t.match(put, { status: 200, body: { gpu_quota: 4, plan_tier: 'pro', contact_email: 'a@acme.ai', name: 'acme' } })
  await h.settle()
  t.equal((await h.job(second)).status, 'running', 'quota blocks are re-evaluated: the raise lets it start')

  t.match((await h.req('PUT', `/api/tenants/${id}`, { body: { gpu_quota: 1, contact_email: null } })).body, { gpu_quota: 1, contact_email: null, gpus_in_use: 4 })
  await h.settle()
  t.equal((await h.job(first)).status, 'running', 'nothing preempted')
  const third = (await h.submit({ cluster_id: c.clusterId, name: 'c', gpu_count: 1, tenant_id: id })).body.id
  await h.settle()
  t.match(await h.job(third), { status: 'blocked', pending_reason: 'QUOTA' }, 'new work waits until usage drops')
  t.same(h.checker.violations, [])

  await h.tenant('other', 1)
  t.match(await h.req('PUT', `/api/tenants/${id}`, { body: { name: 'other' } }), { status: 409, body: { code: 'TENANT_EXISTS' } })
  t.match(await h.req('PUT', '/api/tenants/99', { body: { gpu_quota: 3 } }), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
  t.match(await h.req('PUT', `/api/tenants/${id}`, { body: {} }), { status: 400, body: { code: 'VALIDATION_FAILED' } })
})

t.test('DELETE /api/tenants/:id: cancels waiting jobs and unlinks all, running ones included (seed 003), in one go', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  const id = await h.tenant('acme', 2)
  const run = (await h.submit({ cluster_id: c.clusterId, name: 'run', gpu_count: 2, tenant_id: id })).body.id
  const wait = (await h.submit({ cluster_id: c.clusterId, name: 'wait', gpu_count: 2, tenant_id: id })).body.id
  await h.settle()
  t.match(await h.job(run), { status: 'running' })
  await h.req('PATCH', `/api/jobs/${wait}`, { body: { status: 'blocked' } })
  const deleted = await h.req('DELETE', `/api/tenants/${id}`)
  t.match(deleted, { status: 200, body: { id, deleted: true, jobs_unlinked: 2, jobs_cancelled: 1 } }, 'issue 14: no 409 for a running job')
  t.match(await h.job(run), { tenant_id: null, status: 'running' }, 'it runs on, for no tenant')
  t.match(await h.job(wait), { tenant_id: null, status: 'cancelled', pending_reason: null })
  t.match(await h.req('GET', `/api/tenants/${id}`), { status: 404 })
  t.match(await h.req('DELETE', `/api/tenants/${id}`), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
  await h.settle()
  t.same(h.checker.violations, [])
})

t.test('DELETE /api/tenants/:id with invoices: billing keeps its name on them and lets go; the delete goes through', async t => {
  const h = await schedulingHarness(t)
  const id = await h.tenant('acme', 2)
  const T = h.clock.now()
  const { invoice } = await h.store.billing.createInvoice({
    tenantId: id, tenantName: 'acme', periodStart: T - 86_400_000, periodEnd: T, days: 1, totalGpuMs: 0, unpricedGpuMs: 0,
    amountCents: 0, currency: 'usd', lineItems: [], createdAt: T,
  })
  t.match(await h.req('DELETE', `/api/tenants/${id}`), { status: 200, body: { deleted: true } })
  t.match(await h.store.billing.getInvoice(invoice.id), { tenantId: null, tenantName: 'acme' })
})
