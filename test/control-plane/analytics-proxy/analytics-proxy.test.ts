import t from 'tap'
import { consoleHarness, T0 } from '../console/console-harness.ts'
import type { SlurmJobRecord } from '../../../control-plane/store/slurm-repository.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
// The day before the harness clock (2026-05-09 00:30Z): a whole UTC day in the past.
const START = Date.UTC(2026, 4, 8)
const END = START + DAY - 1000
const WINDOW = `since=${new Date(START).toISOString()}&until=${new Date(END + 1000).toISOString()}`
const ROUTES = ['/api/analytics/gpuplatform', '/api/analytics/slurm', '/api/analytics/aliases', '/api/analytics/worker-events'] as const

const job = (jobId: number, o: Partial<SlurmJobRecord> = {}): SlurmJobRecord => ({
  cluster: 'c1', jobId, step: '', name: `j${jobId}`, user: 'alice', account: 'lab', partition: 'gpu', state: 'COMPLETED',
  submittedAt: START, startedAt: START + HOUR, endedAt: START + 3 * HOUR, gpus: 2, final: true, observedAt: START + 4 * HOUR, ...o,
})

t.test('an admin session reads all four; the answers are the gateway\'s and the Slurm plane\'s', async t => {
  const h = await consoleHarness(t)
  const { cookie, csrf } = await h.login()
  for (const path of ROUTES) t.equal((await h.req('GET', path, { cookie })).status, 200, path)

  const platform = await h.req('GET', `/api/analytics/gpuplatform?${WINDOW}&tz=Asia/Kuala_Lumpur`, { cookie })
  t.same(Object.keys(platform.body.history).sort(), ['benchmarks', 'compute', 'endpoints', 'inference', 'serving', 'training'])
  t.match(platform.body, { tz: 'Asia/Kuala_Lumpur', since: new Date(START).toISOString(), until: new Date(END + 1000).toISOString(), summary: { tz: 'Asia/Kuala_Lumpur', rows: Array } })
  const gateway = await h.req('GET', `/v1/history/summary?${WINDOW}&tz=Asia/Kuala_Lumpur`, { key: h.root })
  t.same(platform.body.summary, gateway.body, 'the summary is the gateway\'s, as is')
  t.same(Object.keys((await h.req('GET', `/api/analytics/gpuplatform?${WINDOW}&kind=inference`, { cookie })).body.history), ['inference'], 'kind narrows to one')

  const put = await h.req('PUT', '/api/analytics/aliases', { cookie, headers: { 'x-csrf-token': csrf }, body: { value: { 'gpu-node-01': 'Rack A' } } })
  t.equal(put.status, 200, put.text)
  t.match(put.body, { key: 'ANALYTICS_SOURCE_ALIASES', value: '{"gpu-node-01":"Rack A"}', aliases: { 'gpu-node-01': 'Rack A' } })
  t.same((await h.req('GET', '/api/analytics/aliases', { cookie })).body.aliases, { 'gpu-node-01': 'Rack A' })
  const env = await h.req('GET', '/v1/global-env', { key: h.root })
  t.equal(env.body[0].value, '{"gpu-node-01":"Rack A"}', 'stored through the gateway')

  const events = await h.req('GET', '/api/analytics/worker-events?limit=5', { cookie })
  t.same(events.body, (await h.req('GET', '/admin/worker-events?limit=5', { key: h.root })).body, 'the gateway\'s events')
})

t.test('until = end + 1 s includes a record stamped at the end second; until = end does not', async t => {
  const h = await consoleHarness(t)
  const { cookie } = await h.login()
  const rec = (id: string, at: number) => ({ id, endpoint: 'chat', model: 'm', tokens_in: 1, tokens_out: 1, latency_ms: 1, status: 'ok', at: new Date(at).toISOString() })
  t.equal((await h.req('POST', '/v1/inference/records', { key: h.root, body: { records: [rec('first', START), rec('last', END), rec('next', END + 1000)] } })).status, 200)
  const ids = async (until: number) => (await h.req('GET', `/api/analytics/gpuplatform?since=${new Date(START).toISOString()}&until=${new Date(until).toISOString()}&kind=inference`, { cookie }))
    .body.history.inference.jobs.map((r: any) => r.id).sort()
  t.same(await ids(END + 1000), ['first', 'last'], 'end + 1 s: the whole last second, not the next day')
  t.same(await ids(END), ['first'], 'until itself is exclusive')
  const summary = (await h.req('GET', `/api/analytics/gpuplatform?${WINDOW}&limit=1`, { cookie })).body.summary
  t.same(summary.rows.map((r: any) => [r.date, r.inference_requests]), [['2026-05-08', 2]])
})

t.test('session only: an API key is refused 401 SESSION_REQUIRED (even an admin\'s, even beside a cookie); no cookie is 401', async t => {
  const h = await consoleHarness(t)
  const { cookie } = await h.login()
  for (const path of ROUTES) {
    const bearer = await h.req('GET', path, { key: h.root })
    t.equal(bearer.status, 401, `${path} Bearer`)
    t.equal(bearer.body.code, 'SESSION_REQUIRED')
    t.equal((await h.req('GET', path, { key: h.root, viaHeader: true })).body.code, 'SESSION_REQUIRED', `${path} x-api-key`)
    t.equal((await h.req('GET', path, { key: h.root, cookie })).body.code, 'SESSION_REQUIRED', `${path} Bearer beside a session`)
    const none = await h.req('GET', path)
    t.equal(none.status, 401, `${path} no cookie`)
    t.equal(none.body.code, 'UNAUTHORIZED')
    const forged = await h.req('GET', path, { cookie: 'gpufleet_session=' + 'A'.repeat(43) })
    t.equal(forged.status, 401, `${path} unknown session`)
  }
  const put = await h.req('PUT', '/api/analytics/aliases', { key: h.root, body: { value: '{"a":"b"}' } })
  t.equal(put.body.code, 'SESSION_REQUIRED')
  t.equal((await h.req('GET', '/v1/global-env', { key: h.root })).body[0].value, '{}', 'nothing written')
})

t.test('a session that is not a fleet admin (a tenant-bound admin key) gets 403 and the empty result of each route', async t => {
  const h = await consoleHarness(t)
  const tenant = (await h.req('POST', '/api/tenants', { key: h.root, body: { name: 'acme', gpu_quota: 4 } })).body.id
  const bound = await h.mint(['admin'], { tenant_id: tenant })
  const { cookie, csrf } = await h.login(bound.key)
  const empties: Record<string, Record<string, unknown>> = {
    '/api/analytics/gpuplatform': { history: { compute: { jobs: [], has_more: false }, inference: { jobs: [], has_more: false } }, summary: { rows: [] } },
    '/api/analytics/slurm': { totals: { jobs: 0, gpu_hours: 0 }, by_state: [], by_user: [], rows: [] },
    '/api/analytics/aliases': { aliases: {} },
    '/api/analytics/worker-events': { count: 0, events: [] },
  }
  for (const [path, empty] of Object.entries(empties)) {
    const res = await h.req('GET', path, { cookie })
    t.equal(res.status, 403, path)
    t.match(res.body, { statusCode: 403, code: 'FORBIDDEN', ...empty }, `${path}: the empty result beside the error`)
  }
  const put = await h.req('PUT', '/api/analytics/aliases', { cookie, headers: { 'x-csrf-token': csrf }, body: { value: '{"a":"b"}' } })
  t.equal(put.status, 403)
  t.match(put.body, { code: 'FORBIDDEN', aliases: {} })
  t.equal((await h.req('GET', '/v1/global-env', { key: h.root })).body[0].value, '{}', 'nothing written')
})

t.test('a revoked key ends its session: 401, not data', async t => {
  const h = await consoleHarness(t)
  const admin = await h.mint(['admin'])
  const { cookie } = await h.login(admin.key)
  t.equal((await h.req('GET', '/api/analytics/slurm', { cookie })).status, 200)
  t.equal((await h.req('DELETE', `/api/api-keys/${admin.id}`, { key: h.root })).status < 300, true)
  t.equal((await h.req('GET', '/api/analytics/slurm', { cookie })).status, 401)
})

t.test('bad input: 400 with a stable code naming the parameter; nothing written', async t => {
  const h = await consoleHarness(t)
  const { cookie, csrf } = await h.login()
  const bad: Array<[string, string]> = [
    ['/api/analytics/gpuplatform?since=nope', 'since'],
    ['/api/analytics/gpuplatform?until=2026-05-01T00:00:00', 'until'],
    ['/api/analytics/gpuplatform?tz=Mars/Olympus', 'tz'],
    ['/api/analytics/gpuplatform?limit=0', 'limit'],
    ['/api/analytics/gpuplatform?limit=1001', 'limit'],
    ['/api/analytics/gpuplatform?offset=-1', 'offset'],
    ['/api/analytics/gpuplatform?kind=secrets', 'kind'],
    ['/api/analytics/gpuplatform?since=2026-05-02T00:00:00Z&until=2026-05-01T00:00:00Z', 'since'],
    ['/api/analytics/gpuplatform?since=2024-01-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
    ['/api/analytics/slurm?since=yesterday', 'since'],
    ['/api/analytics/slurm?tz=Not/AZone', 'tz'],
    ['/api/analytics/slurm?since=2026-05-02T00:00:00Z&until=2026-05-01T00:00:00Z', 'since'],
    ['/api/analytics/slurm?since=2020-01-01T00:00:00Z', 'until'],
    ['/api/analytics/worker-events?limit=20001', 'limit'],
    ['/api/analytics/worker-events?limit=1e3', 'limit'],
    ['/api/analytics/worker-events?since=2026-13-01T00:00:00Z', 'since'],
  ]
  for (const [path, param] of bad) {
    const res = await h.req('GET', path, { cookie })
    t.equal(res.status, 400, path)
    t.equal(res.body.code, 'VALIDATION_FAILED', path)
    t.match(res.body.message, param, `${path} names ${param}`)
  }
  const put = (body: unknown, headers: Record<string, string> = { 'x-csrf-token': csrf }) => h.req('PUT', '/api/analytics/aliases', { cookie, headers, body })
  const puts: Array<[unknown, number, string]> = [
    [{ value: 'not json' }, 400, 'INVALID_ALIASES'],
    [{ value: '[1,2]' }, 400, 'INVALID_ALIASES'],
    [{ value: { a: 5 } }, 400, 'INVALID_ALIASES'],
    [{ value: { '': 'x' } }, 400, 'INVALID_ALIASES'],
    [{ value: 7 }, 400, 'VALIDATION_FAILED'],
    [{}, 400, 'VALIDATION_FAILED'],
    [{ value: '{}', extra: 1 }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [body, status, code] of puts) {
    const res = await put(body)
    t.equal(res.status, status, JSON.stringify(body))
    t.equal(res.body.code, code, JSON.stringify(body))
  }
  const broken = await put('{"value": ')
  t.equal(broken.status, 400, 'a body that is not JSON')
  t.match(broken.body.code, /^(BAD_REQUEST|INVALID_JSON|VALIDATION_FAILED)$/)
  const noCsrf = await put({ value: '{"a":"b"}' }, {})
  t.equal(noCsrf.status, 403)
  t.equal(noCsrf.body.code, 'CSRF_INVALID')
  const text = await h.req('PUT', '/api/analytics/aliases', { cookie, headers: { 'x-csrf-token': csrf, 'content-type': 'text/plain' }, body: '{"value":"{}"}' })
  t.equal(text.status, 415)
  t.equal((await h.req('GET', '/v1/global-env', { key: h.root })).body[0].value, '{}', 'nothing written')
})

t.test('the Slurm plane: counts and GPU-hours of the imported jobs; the last data with its age when Slurm is unreachable', async t => {
  const h = await consoleHarness(t)
  const { cookie } = await h.login()
  const empty = await h.req('GET', `/api/analytics/slurm?${WINDOW}`, { cookie })
  t.match(empty.body, { configured: Boolean, data_as_of: null, age_s: null, stale: true, totals: { jobs: 0, gpu_hours: 0 }, rows: [{ date: '2026-05-08', jobs: 0 }] })

  await h.store.slurm.upsertJobs([
    job(1),
    job(2, { user: 'bob', account: 'ops', gpus: 1, state: 'FAILED', startedAt: START + 22 * HOUR, endedAt: START + 26 * HOUR }),
    job(3, { gpus: 0, partition: 'cpu' }),
    job(4, { state: 'RUNNING', final: false, endedAt: null, startedAt: START + 23 * HOUR, observedAt: START + DAY + 30 * 60_000 }),
    job(1, { step: 'batch', name: 'batch' }),
    job(9, { startedAt: START - 2 * DAY, endedAt: START - DAY }),
  ])
  await h.store.slurm.recordSuccess('sacct', T0 - 10 * 60_000, T0 - 10 * 60_000, 5)
  const res = await h.req('GET', `/api/analytics/slurm?${WINDOW}`, { cookie })
  t.equal(res.status, 200)
  // Job 1: 2 GPUs × 2 h; job 2: 1 GPU × 2 h in the window (22:00-24:00); job 4: 2 GPUs × 1 h (23:00-24:00); job 3 none; job 9 outside.
  t.match(res.body, {
    data_as_of: new Date(T0 - 10 * 60_000).toISOString(), age_s: 600, stale: false, last_error: null,
    totals: { jobs: 4, gpu_jobs: 3, gpu_seconds: (4 + 2 + 2) * 3600, gpu_hours: 8 },
    rows: [{ date: '2026-05-08', jobs: 4, gpu_jobs: 3, gpu_hours: 8 }],
  })
  t.same(res.body.by_state.map((g: any) => [g.key, g.jobs, g.gpu_hours]), [['COMPLETED', 2, 4], ['FAILED', 1, 2], ['RUNNING', 1, 2]])
  t.same(res.body.by_user.map((g: any) => [g.key, g.jobs]), [['alice', 3], ['bob', 1]])
  t.same(res.body.by_partition.map((g: any) => g.key), ['gpu', 'cpu'])
  t.same(res.body.by_cluster.map((g: any) => [g.key, g.jobs]), [['c1', 4]])
  t.notOk('cost' in res.body.totals, 'no cost on the Slurm side')

  // Kuala Lumpur (+08:00): the window's UTC day is split across two local days.
  const kl = await h.req('GET', `/api/analytics/slurm?${WINDOW}&tz=Asia/Kuala_Lumpur`, { cookie })
  t.same(kl.body.rows.map((r: any) => [r.date, r.jobs, r.gpu_hours]), [['2026-05-08', 2, 4], ['2026-05-09', 2, 4]])

  // Slurm goes away: the import fails, the route still answers the last data, marked stale, with its age.
  await h.store.slurm.recordAttempt('sacct', T0 - 60_000, 'SLURM_UNREACHABLE: sacct failed: Connection refused')
  const stale = await h.req('GET', `/api/analytics/slurm?${WINDOW}`, { cookie })
  t.match(stale.body, { stale: true, age_s: 600, last_error: /SLURM_UNREACHABLE/, last_attempt_at: new Date(T0 - 60_000).toISOString(), totals: { jobs: 4, gpu_hours: 8 } })

  const page = await h.req('GET', `/analytics?from=2026-05-08&to=2026-05-08`, { cookie })
  t.equal(page.status, 200)
  t.match(page.text, 'data-slurm-age="600"', 'the page says how old the Slurm data is')
  t.match(page.text, /10 min old/)
  t.match(page.text, /last import failed: SLURM_UNREACHABLE/)
  t.match(page.text, /<strong>4<\/strong> jobs, <strong>3<\/strong> with GPUs, <strong>8\.00<\/strong> GPU hours/)
  t.match(page.text, 'data-src="/api/analytics/slurm?since=2026-05-08T00%3A00%3A00.000Z&amp;until=2026-05-09T00%3A00%3A00.000Z"', 'until = end + 1 s')
})
