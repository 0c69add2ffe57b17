import t, { type Test } from 'tap'
import { schedulingHarness } from './scheduling-harness.ts'

// Over the control plane's 1 MiB body limit once JSON-encoded: 413 before anything parses it.
const MB = 'x'.repeat(1024 * 1024)
// Under the body limit but over every field's length limit: 400 from the schema.
const BIG = 'x'.repeat(200 * 1024)
const SQLISH = "x'); DROP TABLE jobs; -- \" ` \\ %_ \u0000 ☃"

async function setup (t: Test) {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  const tenant = await h.tenant('acme', 4)
  const job = (await h.submit({ cluster_id: c.clusterId, name: 'j', tenant_id: tenant })).body.id as number
  await h.settle()
  /** Everything the scheduling domain holds, to prove a rejected request wrote nothing. */
  const snapshot = async () => JSON.stringify([
    (await h.req('GET', '/api/tenants')).body, (await h.req('GET', '/api/jobs?limit=500')).body, (await h.job(job)).events,
    (await h.req('GET', '/api/scheduler/logs?limit=100')).body.length,
  ])
  return { h, c, tenant, job, snapshot }
}

type Case = [label: string, body: unknown, status: number, code?: string]

async function rejects (t: Test, method: string, path: string | ((s: Awaited<ReturnType<typeof setup>>) => string), cases: Case[]) {
  const s = await setup(t)
  const { h, snapshot } = s
  const url = typeof path === 'string' ? path : path(s)
  const before = await snapshot()
  for (const [label, body, status, code] of cases) {
    const res = typeof body === 'string' && body.startsWith('RAW:')
      ? await h.req(method, url, { raw: body.slice(4) })
      : await h.req(method, url, body === undefined ? {} : { body })
    t.equal(res.status, status, `${method} ${url} ${label} → ${status}`)
    t.match(res.body, { statusCode: status, code: code ?? String, error: String, message: String }, `${label}: the one error shape`)
  }
  await h.settle()
  t.equal(await snapshot(), before, `${method} ${url}: nothing written`)
  t.notOk(h.lines.some(l => l.level === 'error'), 'no unhandled errors')
}

const bodyCommon: Case[] = [
  ['invalid JSON', 'RAW:{"name": ', 400, 'BAD_REQUEST'],
  ['empty body', 'RAW:', 400],
  ['JSON array', [], 400, 'VALIDATION_FAILED'],
  ['JSON string', 'RAW:"hello"', 400, 'VALIDATION_FAILED'],
  ['null', 'RAW:null', 400, 'VALIDATION_FAILED'],
  ['1 MB body', { name: MB }, 413, 'PAYLOAD_TOO_LARGE'],
]

const badIds = ['abc', '1e3', '-1', '0x1', '1.5', '9999999999999999', '%27%20OR%201%3D1']

t.test('POST /api/tenants', async t => {
  await rejects(t, 'POST', '/api/tenants', [
    ...bodyCommon,
    ['missing name', { gpu_quota: 1 }, 400, 'VALIDATION_FAILED'],
    ['missing gpu_quota', { name: 'n' }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota 0', { name: 'n', gpu_quota: 0 }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota negative', { name: 'n', gpu_quota: -3 }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota fractional', { name: 'n', gpu_quota: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota a string', { name: 'n', gpu_quota: '16' }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota huge', { name: 'n', gpu_quota: 1e15 }, 400, 'VALIDATION_FAILED'],
    ['name a number', { name: 42, gpu_quota: 1 }, 400, 'VALIDATION_FAILED'],
    ['name blank', { name: '   ', gpu_quota: 1 }, 400, 'VALIDATION_FAILED'],
    ['name 200 KB', { name: BIG, gpu_quota: 1 }, 400, 'VALIDATION_FAILED'],
    ['email malformed', { name: 'n', gpu_quota: 1, contact_email: 'not-an-email' }, 400, 'VALIDATION_FAILED'],
    ['plan_tier unknown', { name: 'n', gpu_quota: 1, plan_tier: 'platinum' }, 400, 'VALIDATION_FAILED'],
    ['status unknown', { name: 'n', gpu_quota: 1, status: 'deleted' }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { name: 'n', gpu_quota: 1, gpus_in_use: 0 }, 400, 'VALIDATION_FAILED'],
    ['duplicate name', { name: 'acme', gpu_quota: 1 }, 409, 'TENANT_EXISTS'],
  ])
})

t.test('PUT /api/tenants/:id', async t => {
  await rejects(t, 'PUT', s => `/api/tenants/${s.tenant}`, [
    ...bodyCommon,
    ['empty object', {}, 400, 'VALIDATION_FAILED'],
    ['gpu_quota 0', { gpu_quota: 0 }, 400, 'VALIDATION_FAILED'],
    ['gpu_quota null', { gpu_quota: null }, 400, 'VALIDATION_FAILED'],
    ['name null', { name: null }, 400, 'VALIDATION_FAILED'],
    ['plan_tier wrong type', { plan_tier: 3 }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { id: 7 }, 400, 'VALIDATION_FAILED'],
  ])
})

t.test('tenant ids: non-numeric, negative, huge → 400; unknown → 404; nothing written', async t => {
  const { h, snapshot } = await setup(t)
  const before = await snapshot()
  for (const id of badIds) {
    for (const [method, body] of [['GET', undefined], ['PUT', { gpu_quota: 2 }], ['DELETE', undefined]] as const) {
      const res = await h.req(method, `/api/tenants/${id}`, body === undefined ? {} : { body })
      t.equal(res.status, 400, `${method} /api/tenants/${id} → 400`)
      t.match(res.body, { code: 'VALIDATION_FAILED' })
    }
  }
  for (const [method, body] of [['GET', undefined], ['PUT', { gpu_quota: 2 }], ['DELETE', undefined]] as const) {
    t.match(await h.req(method, '/api/tenants/0', body === undefined ? {} : { body }), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
    t.match(await h.req(method, '/api/tenants/123456789012345', body === undefined ? {} : { body }), { status: 404 })
  }
  t.equal(await snapshot(), before)
})

t.test('POST /api/jobs', async t => {
  await rejects(t, 'POST', '/api/jobs', [
    ...bodyCommon,
    ['missing cluster_id', { name: 'n' }, 400, 'VALIDATION_FAILED'],
    ['missing name', { cluster_id: 1 }, 400, 'VALIDATION_FAILED'],
    ['cluster_id a string', { cluster_id: '1', name: 'n' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id negative', { cluster_id: -1, name: 'n' }, 400, 'VALIDATION_FAILED'],
    ['cluster_id huge', { cluster_id: 2 ** 31, name: 'n' }, 400, 'VALIDATION_FAILED'],
    ['gpu_count 0', { cluster_id: 1, name: 'n', gpu_count: 0 }, 400, 'VALIDATION_FAILED'],
    ['gpu_count negative', { cluster_id: 1, name: 'n', gpu_count: -2 }, 400, 'VALIDATION_FAILED'],
    ['gpu_count fractional', { cluster_id: 1, name: 'n', gpu_count: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['gpu_count huge', { cluster_id: 1, name: 'n', gpu_count: 1e9 }, 400, 'VALIDATION_FAILED'],
    ['gpu_count a string', { cluster_id: 1, name: 'n', gpu_count: '8' }, 400, 'VALIDATION_FAILED'],
    ['priority 0', { cluster_id: 1, name: 'n', priority: 0 }, 400, 'VALIDATION_FAILED'],
    ['priority 11', { cluster_id: 1, name: 'n', priority: 11 }, 400, 'VALIDATION_FAILED'],
    ['tenant_id a string', { cluster_id: 1, name: 'n', tenant_id: '1' }, 400, 'VALIDATION_FAILED'],
    ['tenant_id 0', { cluster_id: 1, name: 'n', tenant_id: 0 }, 400, 'VALIDATION_FAILED'],
    ['kind unknown', { cluster_id: 1, name: 'n', kind: 'mining' }, 400, 'VALIDATION_FAILED'],
    ['estimated_duration_min negative', { cluster_id: 1, name: 'n', estimated_duration_min: -5 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min 0', { cluster_id: 1, name: 'n', time_limit_min: 0 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min negative', { cluster_id: 1, name: 'n', time_limit_min: -60 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min fractional', { cluster_id: 1, name: 'n', time_limit_min: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min a string', { cluster_id: 1, name: 'n', time_limit_min: '60' }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min over a year', { cluster_id: 1, name: 'n', time_limit_min: 525_601 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min huge', { cluster_id: 1, name: 'n', time_limit_min: 1e15 }, 400, 'VALIDATION_FAILED'],
    ['time_limit_min an object', { cluster_id: 1, name: 'n', time_limit_min: { minutes: 5 } }, 400, 'VALIDATION_FAILED'],
    ['gpu_type empty', { cluster_id: 1, name: 'n', gpu_type: '' }, 400, 'VALIDATION_FAILED'],
    ['gpu_type an object', { cluster_id: 1, name: 'n', gpu_type: { model: 'H100' } }, 400, 'VALIDATION_FAILED'],
    ['name 200 KB', { cluster_id: 1, name: BIG }, 400, 'VALIDATION_FAILED'],
    ['submitted_by 200 KB', { cluster_id: 1, name: 'n', submitted_by: BIG }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { cluster_id: 1, name: 'n', status: 'running' }, 400, 'VALIDATION_FAILED'],
    ['requeue a string', { cluster_id: 1, name: 'n', requeue: 'true' }, 400, 'VALIDATION_FAILED'],
    ['requeue a number', { cluster_id: 1, name: 'n', requeue: 1 }, 400, 'VALIDATION_FAILED'],
    ['requeue null', { cluster_id: 1, name: 'n', requeue: null }, 400, 'VALIDATION_FAILED'],
    ['unknown cluster', { cluster_id: 999, name: 'n' }, 404, 'CLUSTER_NOT_FOUND'],
    ['unknown tenant', { cluster_id: 1, name: 'n', tenant_id: 999 }, 404, 'TENANT_NOT_FOUND'],
  ])
})

t.test('PATCH /api/jobs/:id', async t => {
  await rejects(t, 'PATCH', s => `/api/jobs/${s.job}`, [
    ...bodyCommon,
    ['missing status', { block_reason: 'x' }, 400, 'VALIDATION_FAILED'],
    ['status unknown', { status: 'paused' }, 400, 'VALIDATION_FAILED'],
    ['status a number', { status: 1 }, 400, 'VALIDATION_FAILED'],
    ['block_reason without blocked', { status: 'cancelled', block_reason: 'x' }, 400, 'VALIDATION_FAILED'],
    ['block_reason 200 KB', { status: 'blocked', block_reason: BIG }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { status: 'cancelled', priority: 1 }, 400, 'VALIDATION_FAILED'],
    ['holding a running job', { status: 'blocked' }, 409, 'INVALID_TRANSITION'],
  ])
})

t.test('job ids and list filters: malformed → 400, unknown → 404, nothing written', async t => {
  const { h, snapshot } = await setup(t)
  const before = await snapshot()
  for (const id of badIds) {
    t.match(await h.req('GET', `/api/jobs/${id}`), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `GET /api/jobs/${id}`)
    t.match(await h.req('PATCH', `/api/jobs/${id}`, { body: { status: 'cancelled' } }), { status: 400 }, `PATCH /api/jobs/${id}`)
  }
  t.match(await h.req('GET', '/api/jobs/424242'), { status: 404, body: { code: 'JOB_NOT_FOUND' } })
  t.match(await h.req('PATCH', '/api/jobs/424242', { body: { status: 'cancelled' } }), { status: 404, body: { code: 'JOB_NOT_FOUND' } })
  const queries = [
    'status=paused', 'kind=mining', 'limit=0', 'limit=501', 'limit=abc', 'limit=-1', 'limit=1.5', 'offset=-1', 'offset=abc',
    'tenant_id=abc', 'tenant_id=0', 'cluster_id=x', 'cluster_id=99999999999', `status=${encodeURIComponent(SQLISH)}`,
  ]
  for (const q of queries) t.match(await h.req('GET', `/api/jobs?${q}`), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `GET /api/jobs?${q}`)
  for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'limit=-1']) {
    t.match(await h.req('GET', `/api/scheduler/logs?${q}`), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `GET /api/scheduler/logs?${q}`)
  }
  for (const q of ['cluster_id=abc', 'cluster_id=0', 'cluster_id=-4']) {
    t.match(await h.req('GET', `/api/dashboard/gpu-allocation?${q}`), { status: 400, body: { code: 'VALIDATION_FAILED' } }, `GET /api/dashboard/gpu-allocation?${q}`)
  }
  t.equal(await snapshot(), before)
  t.notOk(h.lines.some(l => l.level === 'error'), 'no unhandled errors')
})

t.test('bodies that are not JSON → 415, nothing written', async t => {
  const { h, job, tenant, snapshot } = await setup(t)
  const before = await snapshot()
  for (const [method, path] of [['POST', '/api/tenants'], ['PUT', `/api/tenants/${tenant}`], ['POST', '/api/jobs'], ['PATCH', `/api/jobs/${job}`]]) {
    const res = await h.app.request(path!, { method, headers: { authorization: `Bearer ${h.root}`, 'content-type': 'text/plain' }, body: '{"name":"n"}' })
    t.equal(res.status, 415, `${method} ${path}`)
  }
  t.equal(await snapshot(), before)
})

t.test('SQL metacharacters and odd text are stored and returned verbatim', async t => {
  const { h, c } = await setup(t)
  const tenant = await h.req('POST', '/api/tenants', { body: { name: SQLISH, gpu_quota: 2 } })
  t.equal(tenant.status, 201)
  t.equal((await h.req('GET', `/api/tenants/${tenant.body.id}`)).body.name, SQLISH)
  const job = await h.submit({ cluster_id: c.clusterId, name: SQLISH, gpu_type: `H100 ${SQLISH}`, submitted_by: SQLISH, tenant_id: tenant.body.id })
  t.equal(job.status, 201)
  t.match(await h.job(job.body.id), { name: SQLISH, gpu_type: `H100 ${SQLISH}`, submitted_by: SQLISH, status: 'blocked', pending_reason: 'NEVER_FITS_CLUSTER' })
  const held = await h.req('PATCH', `/api/jobs/${job.body.id}`, { body: { status: 'blocked', block_reason: SQLISH } })
  t.equal(held.body.block_reason, SQLISH)
  t.equal((await h.req('GET', '/api/tenants')).body.length, 2, 'the tenants table is still there')
})
