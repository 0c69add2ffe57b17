import t, { type Test } from 'tap'
import { createNodeLifecycleRouter } from '../../../control-plane/fleet/create-node-lifecycle-router.ts'
import { createAlertsRouter } from '../../../control-plane/alerts/create-alerts-router.ts'
import { planCycle } from '../../../control-plane/scheduling/plan-cycle.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'
import { addCluster } from '../scheduling/fleet-fixture.ts'
import { jobInput } from '../store/tenants-suite.ts'

const MINUTE = 60_000

async function setup (t: Test) {
  const forgotten: number[] = []
  const pokes: string[] = []
  const h = await cpHarness(t, {
    routers: [
      {
        path: '/',
        router: ctx => createNodeLifecycleRouter({
          store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log,
          forget: id => { forgotten.push(id) }, poke: r => { pokes.push(r) },
        }),
      },
      { path: '/', router: ctx => createAlertsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }) },
    ],
  })
  const c = await addCluster(h.store, 'c', [{ gpus: 2 }, { gpus: 1 }], T0)
  const r = await h.store.jobs.submit(jobInput(c.clusterId, null, { gpuCount: 2 }), T0, () => ({ status: 'queued', pendingReason: 'CAPACITY', blockReason: null }))
  if (!r.ok) throw new Error(r.reason)
  await h.store.jobs.runCycle(T0 + 1, 'test', { freshSince: T0 - MINUTE }, planCycle)
  const node = c.nodes[0]!.id
  // An open node event and a GPU event of the busy node, to resolve on delete.
  await h.store.alerts.applyEvaluation({ ruleId: 3, at: T0 + 2, threshold: 85, breaches: [
    { subject: { type: 'node', id: node, name: 'n' }, tenantId: null, message: 'offline' },
    { subject: { type: 'gpu', id: c.nodes[0]!.gpuIds[0]!, name: 'n/0' }, tenantId: null, message: 'hot' },
    { subject: { type: 'node', id: c.nodes[1]!.id, name: 'm' }, tenantId: null, message: 'offline' },
  ], unknown: [] })
  const snapshot = async () => JSON.stringify([await h.store.fleet.listNodes(), await h.store.fleet.listGpus(), await h.store.alerts.listEvents({ limit: 100 })])
  return { h, c, job: r.job, node, forgotten, pokes, snapshot }
}

t.test('drain, resume: admin only; the node shows drained_at; resume pokes the scheduler', async t => {
  const { h, node, pokes } = await setup(t)
  const write = (await h.mint(['write'])).key
  isError(t, await h.req('POST', `/api/nodes/${node}/drain`, { key: write }), 403, 'FORBIDDEN')
  isError(t, await h.req('POST', `/api/nodes/${node}/drain`), 401, 'UNAUTHORIZED')
  const drained = await h.req('POST', `/api/nodes/${node}/drain`, { key: h.root })
  t.equal(drained.status, 200)
  t.match(drained.body, { id: node, drained_at: new Date(T0).toISOString() })
  const resumed = await h.req('POST', `/api/nodes/${node}/resume`, { key: h.root })
  t.match(resumed.body, { id: node, drained_at: null })
  t.same(pokes, ['node_resumed'])
})

t.test('node routes: bad ids and unknown nodes are 4xx JSON and write nothing', async t => {
  const { h, snapshot } = await setup(t)
  const before = await snapshot()
  for (const id of ['abc', '1e3', '-1', '0x1', '1.5', '9999999999999999', '%27%20OR%201%3D1']) {
    for (const [method, path] of [['POST', `/api/nodes/${id}/drain`], ['POST', `/api/nodes/${id}/resume`], ['DELETE', `/api/nodes/${id}`]] as const) {
      const res = await h.req(method, path, { key: h.root })
      t.ok(res.status === 400 || res.status === 404, `${method} ${path} → ${res.status}`)
      t.match(res.body, { statusCode: res.status, code: String, message: String })
    }
  }
  isError(t, await h.req('POST', '/api/nodes/999/drain', { key: h.root }), 404, 'NODE_NOT_FOUND')
  isError(t, await h.req('POST', '/api/nodes/999/resume', { key: h.root }), 404, 'NODE_NOT_FOUND')
  isError(t, await h.req('DELETE', '/api/nodes/999', { key: h.root }), 404, 'NODE_NOT_FOUND')
  t.equal(await snapshot(), before, 'nothing written')
})

t.test('DELETE /api/nodes/:id: 409 while a job runs there (nothing written); then gone, its alert events resolved', async t => {
  const { h, c, job, node, forgotten, snapshot } = await setup(t)
  const before = await snapshot()
  const busy = await h.req('DELETE', `/api/nodes/${node}`, { key: h.root })
  isError(t, busy, 409, 'NODE_HAS_RUNNING_JOBS')
  t.same(busy.body.details, { job_ids: [job.id] })
  t.equal(await snapshot(), before, 'nothing written')
  isError(t, await h.req('DELETE', `/api/nodes/${node}`, { key: (await h.mint(['write'])).key }), 403, 'FORBIDDEN')

  await h.store.jobs.applyChange(job.id, { status: 'running', pendingReason: null }, { kind: 'end', status: 'completed', by: null }, T0 + 10)
  const res = await h.req('DELETE', `/api/nodes/${node}`, { key: h.root })
  t.equal(res.status, 200)
  t.match(res.body, { id: node, deleted_gpu_ids: c.nodes[0]!.gpuIds })
  t.equal(res.body.resolved_alert_event_ids.length, 2, 'the node\'s and its GPU\'s events')
  t.same(forgotten, [node])
  const open = (await h.store.alerts.listEvents({ limit: 100 })).filter(e => e.resolvedAt === null)
  t.same(open.map(e => e.subject.id), [c.nodes[1]!.id], 'the other node\'s event stays open')
  t.equal(await h.store.fleet.getNode(node), null)
  isError(t, await h.req('DELETE', `/api/nodes/${node}`, { key: h.root }), 404, 'NODE_NOT_FOUND')
})

t.test('POST /api/alerts/events/:id/silence: minutes or until; bad input is 400 and writes nothing', async t => {
  const { h, snapshot } = await setup(t)
  const event = (await h.store.alerts.listEvents({ limit: 1 }))[0]!
  const path = `/api/alerts/events/${event.id}/silence`
  const before = await snapshot()
  const cases: Array<[string, unknown]> = [
    ['empty object', {}],
    ['both', { minutes: 5, until: new Date(T0 + MINUTE).toISOString() }],
    ['minutes 0', { minutes: 0 }],
    ['minutes negative', { minutes: -5 }],
    ['minutes fractional', { minutes: 1.5 }],
    ['minutes a string', { minutes: '5' }],
    ['minutes over 30 days', { minutes: 43_201 }],
    ['until not a time', { until: 'tomorrow' }],
    ['until over 30 days ahead', { until: new Date(T0 + 31 * 24 * 60 * MINUTE).toISOString() }],
    ['unknown field', { minutes: 5, reason: 'x' }],
    ['array', []],
    ['null', 'null'],
    ['invalid JSON', '{"minutes": '],
  ]
  for (const [label, body] of cases) {
    const res = await h.req('POST', path, { key: h.root, body })
    t.equal(res.status, 400, `${label} → 400`)
    t.match(res.body, { statusCode: 400, code: String, error: String, message: String }, `${label}: the one error shape`)
  }
  isError(t, await h.req('POST', '/api/alerts/events/999/silence', { key: h.root, body: { minutes: 5 } }), 404, 'ALERT_EVENT_NOT_FOUND')
  isError(t, await h.req('POST', '/api/alerts/events/abc/silence', { key: h.root, body: { minutes: 5 } }), 400, 'VALIDATION_FAILED')
  isError(t, await h.req('POST', path, { key: (await h.mint(['write'])).key, body: { minutes: 5 } }), 403, 'FORBIDDEN')
  t.equal(await snapshot(), before, 'nothing written')

  const ok = await h.req('POST', path, { key: h.root, body: { minutes: 30 } })
  t.equal(ok.status, 200)
  t.match(ok.body, { id: event.id, silenced_until: new Date(T0 + 30 * MINUTE).toISOString() })
  const until = new Date(T0 + 2 * 60 * MINUTE).toISOString()
  t.match((await h.req('POST', path, { key: h.root, body: { until } })).body, { silenced_until: until }, 'a second silence replaces the first')
  const listed = (await h.req('GET', '/api/alerts/events', { key: h.root })).body as Array<{ id: number, silenced_until: string | null }>
  t.equal(listed.find(e => e.id === event.id)?.silenced_until, until, 'GET /api/alerts/events shows it')
})

t.test('silence edges: exactly 30 days is allowed, a time in the past ends the silence, minutes 43200 is the most', async t => {
  const { h } = await setup(t)
  const event = (await h.store.alerts.listEvents({ limit: 1 }))[0]!
  const path = `/api/alerts/events/${event.id}/silence`
  const thirty = new Date(T0 + 30 * 24 * 60 * MINUTE).toISOString()
  t.match(await h.req('POST', path, { key: h.root, body: { until: thirty } }), { status: 200, body: { silenced_until: thirty } }, 'until exactly 30 days ahead')
  t.match(await h.req('POST', path, { key: h.root, body: { minutes: 43_200 } }), { status: 200, body: { silenced_until: thirty } }, '43,200 minutes = 30 days')
  const past = new Date(T0 - MINUTE).toISOString()
  const ended = await h.req('POST', path, { key: h.root, body: { until: past } })
  t.equal(ended.status, 200)
  t.equal(ended.body.silenced_until, past, 'a past time ends it (stored as given: already over)')
})

t.test('drain and resume take no body: whatever is sent is never read (not even malformed JSON)', async t => {
  const { h, node } = await setup(t)
  t.match(await h.req('POST', `/api/nodes/${node}/drain`, { key: h.root, body: { force: true } }), { status: 200, body: { id: node } }, 'a JSON body is ignored')
  t.match(await h.req('POST', `/api/nodes/${node}/resume`, { key: h.root, body: {} }), { status: 200, body: { drained_at: null } })
  const bad = await h.req('POST', `/api/nodes/${node}/drain`, { key: h.root, body: '{"force": ' })
  t.match(bad, { status: 200, body: { id: node } }, 'the route reads no body, so there is nothing malformed to refuse')
})
