import t, { type Test } from 'tap'
import { schedulingHarness } from './scheduling-harness.ts'

const noViolations = (t: Test, h: { checker: { violations: string[], checks: () => number } }) => {
  t.same(h.checker.violations, [], `invariants held over ${h.checker.checks()} cycles`)
}

t.test('submit: the seed\'s response shape and defaults; an idle fleet starts the job one debounce later, not 30 s later', async t => {
  const h = await schedulingHarness(t)
  await h.settle() // the start-up cycle
  const c = await h.cluster('us-east-prod', [{ gpus: 8 }])
  const tenant = await h.tenant('NovAI Labs', 10)
  const res = await h.submit({ cluster_id: c.clusterId, name: 'llama-3-70b-finetune', gpu_count: 8, gpu_type: 'NVIDIA H100 80GB', priority: 1, tenant_id: tenant })
  t.equal(res.status, 201)
  t.same(Object.keys(res.body).slice(0, 7), ['id', 'name', 'status', 'gpu_count', 'priority', 'block_reason', 'submitted_at'], 'the seed\'s fields first')
  t.match(res.body, {
    id: 1, name: 'llama-3-70b-finetune', status: 'queued', gpu_count: 8, priority: 1, block_reason: null, submitted_at: new Date(h.clock.now()).toISOString(),
    pending_reason: 'CAPACITY', cluster_id: c.clusterId, tenant_id: tenant, kind: 'compute', gpu_type: 'NVIDIA H100 80GB', submitted_by: 'key:1',
    estimated_duration_min: null, started_at: null, ended_at: null, node_id: null,
  })
  const defaults = await h.submit({ cluster_id: c.clusterId, name: 'd' })
  t.match(defaults.body, { gpu_count: 1, priority: 5, kind: 'compute', tenant_id: null, gpu_type: null })

  await h.clock.advance(199)
  await h.idle()
  t.equal((await h.job(1)).status, 'queued', 'not before the debounce')
  await h.settle(1)
  const job = await h.job(1)
  t.match(job, { status: 'running', pending_reason: null, started_at: new Date(Date.parse(res.body.submitted_at) + 200).toISOString(), node_id: c.nodes[0]!.id })
  t.equal(job.gpus.length, 8)
  t.match((await h.job(2)), { status: 'queued', pending_reason: 'CAPACITY' })
  noViolations(t, h)
})

t.test('a job over its limits is stored as blocked with its reason, not rejected; unknown references are 404', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }, { gpus: 8 }])
  const small = await h.tenant('small', 4)
  const paused = await h.tenant('paused', 4, { status: 'inactive' })
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ gpu_count: 5, tenant_id: small }, 'NEVER_FITS_QUOTA', "gpu_count 5 exceeds the tenant's GPU quota of 4"],
    [{ gpu_count: 17 }, 'NEVER_FITS_CLUSTER', 'gpu_count 17 exceeds the 16 GPUs in cluster 1'],
    [{ gpu_count: 1, gpu_type: 'A100' }, 'NEVER_FITS_CLUSTER', 'gpu_count 1 exceeds the 0 GPUs matching "A100" in cluster 1'],
    [{ gpu_count: 1, tenant_id: paused }, 'TENANT_INACTIVE', 'the tenant is inactive'],
  ]
  for (const [extra, reason, text] of cases) {
    const res = await h.submit({ cluster_id: c.clusterId, name: 'x', ...extra })
    t.equal(res.status, 201, `${reason}: accepted`)
    t.match(res.body, { status: 'blocked', pending_reason: reason, block_reason: text })
  }
  // Quota at submission counts what the tenant already runs.
  await h.submit({ cluster_id: c.clusterId, name: 'fills', gpu_count: 4, tenant_id: small })
  await h.settle()
  const over = await h.submit({ cluster_id: c.clusterId, name: 'over', gpu_count: 1, tenant_id: small })
  t.match(over.body, { status: 'blocked', pending_reason: 'QUOTA', block_reason: "waiting for the tenant's GPU quota of 4" })

  const before = (await h.req('GET', '/api/jobs')).body.total
  t.match(await h.submit({ cluster_id: 999, name: 'x' }), { status: 404, body: { code: 'CLUSTER_NOT_FOUND' } })
  t.match(await h.submit({ cluster_id: c.clusterId, name: 'x', tenant_id: 999 }), { status: 404, body: { code: 'TENANT_NOT_FOUND' } })
  t.equal((await h.req('GET', '/api/jobs')).body.total, before, 'nothing written')
  noViolations(t, h)
})

t.test('every pending reason arises from a real scenario, and each clears when its cause does', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }, { gpus: 4 }])
  const acme = await h.tenant('acme', 8)
  const paused = await h.tenant('paused', 8, { status: 'inactive' })
  const submit = async (body: Record<string, unknown>) => (await h.submit({ cluster_id: c.clusterId, name: 'j', ...body })).body.id as number
  const big = await submit({ gpu_count: 8, priority: 1, tenant_id: acme }) // runs on the 8-GPU node
  const quota = await submit({ gpu_count: 2, priority: 2, tenant_id: acme }) // acme runs 8 of 8
  const capacity = await submit({ gpu_count: 8, priority: 3 }) // fits one node, none has 8 free; reserves the 8-GPU node
  const small = await submit({ gpu_count: 4, priority: 4 }) // the 4-GPU node, which the 8-GPU job cannot use
  const inactive = await submit({ gpu_count: 1, priority: 4, tenant_id: paused })
  const tiny = await submit({ gpu_count: 1, priority: 5 }) // nothing free anywhere
  const neverQuota = await submit({ gpu_count: 9, tenant_id: acme })
  const neverCluster = await submit({ gpu_count: 13 })
  const held = await submit({ gpu_count: 1, priority: 9 })
  t.equal((await h.req('PATCH', `/api/jobs/${held}`, { body: { status: 'blocked', block_reason: 'waiting for data' } })).status, 200)
  await h.settle()
  const reason = async (id: number) => { const j = await h.job(id); return j.pending_reason ?? j.status }
  t.same(await Promise.all([big, quota, capacity, small, inactive, tiny, neverQuota, neverCluster, held].map(reason)),
    ['running', 'QUOTA', 'CAPACITY', 'running', 'TENANT_INACTIVE', 'CAPACITY', 'NEVER_FITS_QUOTA', 'NEVER_FITS_CLUSTER', 'OPERATOR_HOLD'])
  t.same(await Promise.all([quota, capacity, inactive, tiny, neverQuota, neverCluster, held].map(async id => (await h.job(id)).status)),
    ['blocked', 'queued', 'blocked', 'queued', 'blocked', 'blocked', 'blocked'], 'blocked for limits and holds, queued for GPUs')

  await h.req('PATCH', `/api/jobs/${small}`, { body: { status: 'completed' } })
  await h.settle()
  t.equal(await reason(tiny), 'running', 'backfilled onto the 4-GPU node, which the waiting 8-GPU job cannot use')
  t.equal(await reason(capacity), 'CAPACITY')

  await h.req('PATCH', `/api/jobs/${big}`, { body: { status: 'completed' } })
  await h.settle()
  t.equal(await reason(quota), 'running', 'acme\'s quota is free again (QUOTA cleared by itself)')
  t.equal(await reason(capacity), 'running', 'the 8-GPU node is free (CAPACITY cleared)')
  noViolations(t, h)

  // Causes cleared by hand: quota raised, tenant activated, cluster grown, hold lifted.
  await h.req('PUT', `/api/tenants/${acme}`, { body: { gpu_quota: 16 } })
  await h.req('PUT', `/api/tenants/${paused}`, { body: { status: 'active' } })
  await h.cluster('other', [{ gpus: 1 }])
  await h.settle()
  t.equal(await reason(neverQuota), 'CAPACITY', 'fits the raised quota; waits for GPUs now (queued)')
  t.equal((await h.job(neverQuota)).status, 'queued')
  t.equal(await reason(inactive), 'running', 'the reactivated tenant\'s job takes the last free GPU (it is ahead of the 9-GPU job)')
  t.equal(await reason(neverCluster), 'NEVER_FITS_CLUSTER', 'the new node is in another cluster')
  t.equal(await reason(held), 'OPERATOR_HOLD', 'a hold outlives every cycle')
  noViolations(t, h)
})

t.test('PRIORITY: GPUs free for a lower job are held back for the higher job they would delay', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }])
  const first = (await h.submit({ cluster_id: c.clusterId, name: 'a', gpu_count: 4 })).body.id
  await h.settle()
  const waiting = (await h.submit({ cluster_id: c.clusterId, name: 'whole-node', gpu_count: 8, priority: 1 })).body.id
  const behind = (await h.submit({ cluster_id: c.clusterId, name: 'small', gpu_count: 2, priority: 5 })).body.id
  await h.settle()
  t.match(await h.job(waiting), { status: 'queued', pending_reason: 'CAPACITY' })
  t.match(await h.job(behind), { status: 'queued', pending_reason: 'PRIORITY' }, '4 GPUs are free, but taking 2 would delay the whole-node job')
  await h.req('PATCH', `/api/jobs/${first}`, { body: { status: 'completed' } })
  await h.settle()
  t.equal((await h.job(waiting)).status, 'running')
  t.match(await h.job(behind), { status: 'queued', pending_reason: 'CAPACITY' })
  noViolations(t, h)
})

t.test('priority 1 first, then submit order', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 1 }])
  const running = (await h.submit({ cluster_id: c.clusterId, name: 'running' })).body.id
  await h.settle()
  const ids: Record<string, number> = {}
  for (const [name, priority] of [['p5-first', 5], ['p1', 1], ['p5-second', 5], ['p10', 10], ['p1-later', 1]] as const) {
    ids[name] = (await h.submit({ cluster_id: c.clusterId, name, priority })).body.id
    h.clock.set(h.clock.now() + 10)
  }
  const order: string[] = []
  let current = running
  for (let i = 0; i < 5; i++) {
    await h.req('PATCH', `/api/jobs/${current}`, { body: { status: 'completed' } })
    await h.settle()
    const run = (await h.req('GET', '/api/jobs?status=running')).body.jobs
    t.equal(run.length, 1)
    order.push(run[0].name)
    current = run[0].id
  }
  t.same(order, ['p1', 'p1-later', 'p5-first', 'p5-second', 'p10'])
  noViolations(t, h)
})

t.test('one node per job: a job that fits on one node waits for one rather than spread; best fit', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8 }, { gpus: 8 }])
  const a = (await h.submit({ cluster_id: c.clusterId, name: 'a', gpu_count: 4 })).body.id
  await h.settle()
  const b = (await h.submit({ cluster_id: c.clusterId, name: 'b', gpu_count: 6 })).body.id
  await h.settle()
  t.equal((await h.job(b)).node_id, c.nodes[1]!.id, 'b takes the free node (a\'s node has only 4)')
  const d = (await h.submit({ cluster_id: c.clusterId, name: 'd', gpu_count: 2 })).body.id
  await h.settle()
  t.equal((await h.job(d)).node_id, c.nodes[1]!.id, 'best fit: the node with exactly 2 free')
  const e = (await h.submit({ cluster_id: c.clusterId, name: 'e', gpu_count: 5 })).body.id
  await h.settle()
  t.match(await h.job(e), { status: 'queued', pending_reason: 'CAPACITY' }, '4 free on one node is not 5; it does not spread')
  const f = (await h.submit({ cluster_id: c.clusterId, name: 'f', gpu_count: 16 })).body.id
  await h.submit({ cluster_id: c.clusterId, name: 'f', gpu_count: 1 })
  await h.req('PATCH', `/api/jobs/${a}`, { body: { status: 'cancelled' } })
  await h.req('PATCH', `/api/jobs/${b}`, { body: { status: 'completed' } })
  await h.req('PATCH', `/api/jobs/${d}`, { body: { status: 'completed' } })
  await h.req('PATCH', `/api/jobs/${e}`, { body: { status: 'cancelled' } })
  await h.settle()
  const spanning = await h.job(f)
  t.equal(spanning.status, 'running', 'larger than any node: spans both')
  t.same([...new Set(spanning.gpus.map((g: { node_id: number }) => g.node_id))].sort(), [c.nodes[0]!.id, c.nodes[1]!.id])
  noViolations(t, h)
})

t.test('PATCH: the state machine, with 409 INVALID_TRANSITION for impossible moves', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 1 }])
  const patch = (id: number, body: Record<string, unknown>, key?: string) => h.req('PATCH', `/api/jobs/${id}`, { body, ...(key === undefined ? {} : { key }) })
  const run = (await h.submit({ cluster_id: c.clusterId, name: 'run' })).body.id
  const wait = (await h.submit({ cluster_id: c.clusterId, name: 'wait' })).body.id
  await h.settle()
  const refused = async (id: number, status: string, msg: string) => {
    const res = await patch(id, { status })
    t.equal(res.status, 409, msg)
    t.match(res.body, { code: 'INVALID_TRANSITION', statusCode: 409, error: 'Conflict', message: String })
  }
  await refused(wait, 'running', 'queued → running: only the scheduler starts jobs')
  await refused(wait, 'completed', 'queued → completed: it never ran')
  await refused(wait, 'failed', 'queued → failed: it never ran')
  await refused(run, 'blocked', 'running → blocked: a running job is not held')
  await refused(run, 'queued', 'running → queued')
  t.match(await patch(run, { status: 'running' }), { status: 200, body: { status: 'running' } }, 'running → running is a no-op')
  t.match(await patch(wait, { status: 'queued' }), { status: 200, body: { status: 'queued' } }, 'queued → queued is a no-op')

  const done = await patch(run, { status: 'completed' })
  t.match(done, { status: 200, body: { status: 'completed', ended_at: String, pending_reason: null } })
  for (const to of ['running', 'queued', 'blocked', 'failed', 'cancelled']) await refused(run, to, `completed → ${to}`)
  t.match(await patch(run, { status: 'completed' }), { status: 200 }, 'completed → completed: an idempotent retry')
  const gpus = (await h.job(run)).gpus
  t.ok(gpus.every((g: { released_at: string | null }) => g.released_at === new Date(h.clock.now()).toISOString()), 'its GPUs were released')
  await h.settle()
  t.equal((await h.job(wait)).status, 'running', 'the freed GPU went to the waiting job at once (the end poked the scheduler)')
  t.match((await h.job(run)).events.map((e: { kind: string }) => e.kind), ['submitted', 'gpu_assigned', 'started', 'gpu_released', 'ended'])

  const scheduler = (await h.submit({ cluster_id: c.clusterId, name: 'over', gpu_count: 5 })).body.id
  t.match(await patch(scheduler, { status: 'queued' }), { status: 409, body: { code: 'INVALID_TRANSITION', message: /blocked by the scheduler \(NEVER_FITS_CLUSTER\)/ } })
  t.match(await patch(scheduler, { status: 'cancelled' }), { status: 200, body: { status: 'cancelled', pending_reason: null, block_reason: null } })
  noViolations(t, h)
})

t.test('an operator hold stays across cycles until an operator lifts it; tenants cannot hold or lift', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  const tenant = await h.tenant('acme', 4)
  const tenantKey = await h.mint(['read', 'write', 'admin'], tenant)
  const job = (await h.submit({ cluster_id: c.clusterId, name: 'j', tenant_id: tenant })).body.id
  const held = await h.req('PATCH', `/api/jobs/${job}`, { body: { status: 'blocked', block_reason: 'data not ready' } })
  t.match(held.body, { status: 'blocked', pending_reason: 'OPERATOR_HOLD', block_reason: 'data not ready' })
  for (let i = 0; i < 4; i++) {
    await h.refresh()
    await h.settle(30_000)
  }
  t.ok(h.checker.checks() >= 5, 'interval cycles ran')
  t.match(await h.job(job), { status: 'blocked', pending_reason: 'OPERATOR_HOLD', block_reason: 'data not ready' }, 'still held, GPUs idle')
  t.match(await h.req('PATCH', `/api/jobs/${job}`, { key: tenantKey, body: { status: 'queued' } }), { status: 403, body: { code: 'FORBIDDEN' } })
  t.match(await h.req('PATCH', `/api/jobs/${job}`, { key: tenantKey, body: { status: 'blocked' } }), { status: 403 })
  t.match(await h.req('PATCH', `/api/jobs/${job}`, { body: { status: 'blocked' } }), { status: 200, body: { block_reason: 'held by an operator' } }, 'a new reason')
  const lifted = await h.req('PATCH', `/api/jobs/${job}`, { body: { status: 'queued' } })
  t.match(lifted.body, { status: 'queued', pending_reason: 'CAPACITY', block_reason: null })
  await h.settle()
  t.equal((await h.job(job)).status, 'running', 'lifting the hold pokes the scheduler')
  t.match((await h.job(job)).events.map((e: { kind: string }) => e.kind), ['submitted', 'held', 'held', 'released', 'gpu_assigned', 'started'])
  t.match(await h.req('PATCH', `/api/jobs/${job}`, { key: tenantKey, body: { status: 'completed' } }), { status: 200 }, 'a tenant ends its own job')
  noViolations(t, h)
})

t.test('stale readings: GPUs without a fresh sample are not assigned; fresh ones are', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 2 }])
  await h.clock.advance(61_000)
  const job = (await h.submit({ cluster_id: c.clusterId, name: 'j' })).body.id
  await h.settle()
  // Was CAPACITY: the node is online but sent no reading for 61 s, which now has its own reason.
  t.match(await h.job(job), { status: 'queued', pending_reason: 'NODE_NOT_REPORTING' })
  await h.refresh(new Map([[c.nodes[0]!.gpuIds[0]!, 95]]))
  await h.settle(30_000)
  const j = await h.job(job)
  t.equal(j.status, 'running', 'picked up by the next interval cycle')
  t.same(j.gpus.map((g: { gpu_id: number }) => g.gpu_id), [c.nodes[0]!.gpuIds[1]], 'not the GPU busy outside the scheduler')
  noViolations(t, h)
})

t.test('GET /api/jobs: filters, paging, detail', async t => {
  const h = await schedulingHarness(t)
  const c1 = await h.cluster('c1', [{ gpus: 1 }])
  const c2 = await h.cluster('c2', [{ gpus: 1 }])
  const a = await h.tenant('a', 10)
  for (let i = 0; i < 7; i++) {
    await h.submit({ cluster_id: i % 2 === 0 ? c1.clusterId : c2.clusterId, name: `j${i}`, tenant_id: i < 4 ? a : null, kind: i === 6 ? 'inference' : 'training' })
  }
  await h.settle()
  const page = await h.req('GET', '/api/jobs?limit=3')
  t.match(page.body, { total: 7, limit: 3, offset: 0, next_offset: 3 })
  t.same(page.body.jobs.map((j: { name: string }) => j.name), ['j6', 'j5', 'j4'])
  const last = await h.req('GET', '/api/jobs?limit=3&offset=6')
  t.match(last.body, { total: 7, next_offset: null, jobs: [{ name: 'j0' }] })
  t.same((await h.req('GET', `/api/jobs?tenant_id=${a}&cluster_id=${c1.clusterId}`)).body.jobs.map((j: { name: string }) => j.name), ['j2', 'j0'])
  t.same((await h.req('GET', '/api/jobs?status=running')).body.jobs.map((j: { name: string }) => j.name), ['j1', 'j0'])
  t.same((await h.req('GET', '/api/jobs?kind=inference')).body.jobs.map((j: { name: string }) => j.name), ['j6'])
  t.same((await h.req('GET', '/api/jobs?status=blocked')).body, { jobs: [], total: 0, limit: 50, offset: 0, next_offset: null })
  const detail = await h.job(1)
  t.match(detail, { id: 1, status: 'running', gpus: [{ gpu_id: c1.nodes[0]!.gpuIds[0], hostname: String, gpu_index: 0, model: 'NVIDIA H100 80GB HBM3', assigned_at: String, released_at: null }] })
  t.match(await h.req('GET', '/api/jobs/999'), { status: 404, body: { code: 'JOB_NOT_FOUND' } })
})

t.test('gpu_type: a job\'s GPUs are of one model unless it asks for "any"; submission counts one model\'s GPUs', async t => {
  const h = await schedulingHarness(t)
  const A100 = 'NVIDIA A100-SXM4-80GB'
  const c = await h.cluster('mixed', [{ gpus: 4 }, { gpus: 4, model: A100 }, { gpus: 4, model: A100 }])
  const models = async (id: number) => [...new Set((await h.job(id)).gpus.map((g: { model: string }) => g.model))]

  const six = (await h.submit({ cluster_id: c.clusterId, name: 'six', gpu_count: 6 })).body.id
  await h.settle()
  t.match(await h.job(six), { status: 'running' })
  t.same(await models(six), [A100], 'six A100s, not 4 H100 + 2 A100')

  const any = (await h.submit({ cluster_id: c.clusterId, name: 'six-any', gpu_count: 6, gpu_type: 'any' })).body.id
  await h.settle()
  t.match(await h.job(any), { status: 'running', gpu_type: 'any' })
  t.same((await models(any)).sort(), [A100, 'NVIDIA H100 80GB HBM3'], '"any" may mix: the 4 H100 and the 2 A100 left')

  const ten = await h.submit({ cluster_id: c.clusterId, name: 'ten', gpu_count: 10 })
  t.match(ten.body, {
    status: 'blocked', pending_reason: 'NEVER_FITS_CLUSTER',
    block_reason: `gpu_count 10 exceeds the 8 GPUs of one model (12 with models mixed: gpu_type "any") in cluster ${c.clusterId}`,
  })
  noViolations(t, h)
})

t.test('an offline node is not the largest node: a 6-GPU job spans 4-GPU nodes; one only offline nodes could hold is NODE_OFFLINE', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 8, online: false }, { gpus: 4 }, { gpus: 4 }, { gpus: 4 }])
  const six = (await h.submit({ cluster_id: c.clusterId, name: 'six', gpu_count: 6 })).body.id
  const big = (await h.submit({ cluster_id: c.clusterId, name: 'big', gpu_count: 16 })).body.id
  await h.settle()
  const started = await h.job(six)
  t.match(started, { status: 'running' })
  t.equal(new Set(started.gpus.map((g: { node_id: number }) => g.node_id)).size, 2)
  t.match(await h.job(big), { status: 'queued', pending_reason: 'NODE_OFFLINE', block_reason: null }, '12 GPUs online, 20 registered')
  noViolations(t, h)
})

t.test('requeue: optional, stored with the job and shown with end_reason', async t => {
  const h = await schedulingHarness(t)
  const c = await h.cluster('c', [{ gpus: 1 }])
  const plain = await h.submit({ cluster_id: c.clusterId, name: 'plain' })
  t.match(plain.body, { requeue: false, end_reason: null })
  const again = await h.submit({ cluster_id: c.clusterId, name: 'again', requeue: true })
  t.equal(again.status, 201)
  t.match(await h.job(again.body.id), { requeue: true, end_reason: null })
})
