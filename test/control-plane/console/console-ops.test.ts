import t, { type Test } from 'tap'
import { consoleHarness } from './console-harness.ts'
import { fleetBuilder, insightStoreOpener } from '../store/insight-fixture.ts'
import { CONSOLE_PAGES } from '../../../control-plane/console/console-layout.ts'
import { ago, when } from '../../../control-plane/console/format.ts'
import { scrollTables } from '../../../control-plane/console/table-scroll.ts'

const MIN = 60_000
const H = 60 * MIN

/**
 * A fleet with every allocation state, made through the repositories at the harness's clock:
 * node z (3 GPUs, registered first so GPU ids and indexes differ) and node a (4 GPUs):
 * a/0 held 2 h by acme's "train" and idle for the last hour (idle allocated), a/1 held by
 * "train" and busy, a/2 held 5 min by "warmup" and idle (idle now, still loading), a/3 free.
 */
async function allocated (t: Test) {
  // A directory of its own, removed once the store closed (tap's testdir could go first: ENOTEMPTY, then a hung file).
  const { store, rows } = await insightStoreOpener(t)()
  const h = await consoleHarness(t, { store })
  const now = h.now()
  const fleet = fleetBuilder(store)
  await fleet.node({ hostname: 'z', gpus: 3 }, now)
  const a = await fleet.node({ hostname: 'a', gpus: 4 }, now)
  const acme = rows.tenant({ name: 'acme', gpuQuota: 8 })
  const beta = rows.tenant({ name: 'beta', gpuQuota: 8 })
  const train = rows.job({ clusterId: a.clusterId, tenantId: acme, name: 'train', status: 'running', gpuCount: 2, submittedAt: now - 2 * H, startedAt: now - 2 * H })
  rows.assign(train, a.gpuIds[0]!, now - 2 * H)
  rows.assign(train, a.gpuIds[1]!, now - 2 * H)
  const warmup = rows.job({ clusterId: a.clusterId, tenantId: beta, name: 'warmup', status: 'running', gpuCount: 1, submittedAt: now - 5 * MIN, startedAt: now - 5 * MIN })
  rows.assign(warmup, a.gpuIds[2]!, now - 5 * MIN)
  for (const [i, util] of [[0, 2], [1, 85], [2, 0], [3, 40]] as const) {
    await fleet.samples(a.nodeId, i, now - H, now, MIN, util)
    await fleet.reading(a.gpuIds[i]!, { utilizationPct: util, temperatureC: 50 }, now)
  }
  const session = await h.login()
  const get = async (path: string) => (await h.req('GET', path, { cookie: session.cookie })).text
  /** A call as the console's script makes it: the session cookie and its CSRF token. */
  const act = (method: string, path: string, json?: unknown) =>
    h.req(method, path, { cookie: session.cookie, headers: { 'x-csrf-token': session.csrf }, ...(json === undefined ? {} : { json }) })
  return { h, store, a, train, warmup, acme, get, act, ...session }
}

t.test('allocation: each GPU with the job and tenant holding it; held-but-idle GPUs marked; GPUs named by index', async t => {
  const { a, train, warmup, get, h } = await allocated(t)
  const page = await get('/allocation')
  t.match(page, '<h1>Allocation</h1>')
  const row = (gpu: string) => new RegExp(`<tr class="use-([a-z-]+)" data-gpu="${gpu}">(.*?)</tr>`, 's').exec(page)
  t.equal(row('a/0')?.[1], 'idle-allocated', 'a/0: held 2 h, idle for the last 30 min')
  t.match(row('a/0')?.[2], `${train} train`)
  t.match(row('a/0')?.[2], '<td>acme</td>')
  t.match(row('a/0')?.[2], 'allocated, idle</span>')
  t.equal(row('a/1')?.[1], 'busy')
  t.equal(row('a/2')?.[1], 'idle-now', 'a/2: idle, but held for 5 min only (loading)')
  t.match(row('a/2')?.[2], `${warmup} warmup`)
  t.match(row('a/2')?.[2], '<td>beta</td>')
  t.equal(row('a/3')?.[1], 'free')
  t.match(row('a/3')?.[2], '<td class="n">3</td>', 'the GPU column is the index')
  t.notOk(page.includes(`<td class="n">${a.gpuIds[3]}</td>`), 'never the database id')
  t.match(page, new RegExp(`<tr data-alloc-job="${train}">.*?a: 0, 1</td><td class="n bad">1 of 2</td>`, 's'), 'by job: its GPUs by node and index, one idle')
  t.match(page, /<dt>Allocated, idle<\/dt><dd class="bad">1</)
  t.match(page, /<dt>Allocated<\/dt><dd>3 \/ 7</)

  const frag = await h.req('GET', '/fragments/allocation', { cookie: (await h.login()).cookie })
  t.equal(frag.status, 200)
  t.notMatch(frag.text, /<html/)
  t.match(frag.text, 'data-gpu="a/0"')
})

t.test('the fleet KPIs agree with the allocation: one idle allocated GPU, and the share counts its minutes only', async t => {
  const { get, h } = await allocated(t)
  const kpis = (await h.req('GET', '/api/dashboard/kpis', { key: h.root })).body
  // Held past the first 30 min: a/0 (idle) and a/1 (busy); a/2's 5 min are its loading time.
  t.same(kpis.revenue_leakage, { percentage: 50, idle_allocated_gpus: 1, direction: 'flat' })
  t.match(await get('/'), '50 %<small>1 idle allocated GPUs</small>')
})

t.test('relative times: "(5 s ago)" beside the absolute time, in a <time> the script keeps current', async t => {
  const at = Date.UTC(2026, 4, 9, 0, 30)
  t.equal(ago(at, at + 500), 'just now')
  t.equal(ago(at, at + 5000), '5 s ago')
  t.equal(ago(at, at + 10 * MIN), '10 min ago')
  t.equal(ago(at, at + 3 * H), '3 h ago')
  t.equal(ago(at, at + 96 * H), '4 d ago')
  t.equal(ago(at + 2 * MIN, at), 'in 2 min')
  t.equal(String(when('2026-05-09T00:30:00.000Z', at + 5000)), '2026-05-09 00:30:00 UTC <time class="ago" datetime="2026-05-09T00:30:00.000Z">(5 s ago)</time>')
  t.equal(String(when('2026-05-09T00:30:00Z')), '2026-05-09 00:30:00 UTC <time class="ago" datetime="2026-05-09T00:30:00.000Z"></time>', 'without a clock the script fills it')
  t.equal(when(null), '—')
  t.equal(when('not a time'), 'not a time')

  const { get } = await allocated(t)
  const page = await get('/allocation')
  t.match(page, /Held since<\/th>.*?UTC <time class="ago" datetime="[^"]+">\(2 h ago\)<\/time>/s, 'the allocation page says how long ago, as of the server clock')
})

t.test('narrow screens: every table of every page sits in its own scrolling box', async t => {
  t.equal(scrollTables('<p>a</p><table><tr><td>x &lt;table</td></tr></table>'), '<p>a</p><div class="table-scroll"><table><tr><td>x &lt;table</td></tr></table></div>')
  const { get } = await allocated(t)
  for (const [path] of CONSOLE_PAGES) {
    const page = await get(path)
    const tables = (page.match(/<table\b/g) ?? []).length
    t.equal((page.match(/<div class="table-scroll"><table\b/g) ?? []).length, tables, `${path}: ${tables} tables, each wrapped`)
  }
  const css = (await get('/assets/console.css'))
  t.match(css, /\.table-scroll \{ max-width: 100%; overflow-x: auto; position: relative; \}/)
})

t.test('tenants: create, edit and delete forms over /api/tenants; bad input is refused with the API\'s 4xx, nothing written', async t => {
  const { get, act, acme, h } = await allocated(t)
  const page = await get('/tenants')
  t.match(page, `data-api="/api/tenants/${acme}" data-method="PUT"`, 'an edit form per tenant')
  t.match(page, `data-api="/api/tenants/${acme}" data-method="DELETE"`)
  t.match(page, 'data-api="/api/tenants" data-method="POST"', 'a create form')
  t.match(page, /<form[^>]*novalidate[^>]*data-api="\/api\/tenants\//, 'the API judges the input, not the browser')

  for (const [body, field] of [[{ gpu_quota: 0 }, 'gpu_quota'], [{ gpu_quota: 1.5 }, 'gpu_quota'], [{ name: '  ' }, 'name'], [{ contact_email: 'nope' }, 'contact_email'], [{ plan_tier: 'gold' }, 'plan_tier']] as const) {
    const res = await act('PUT', `/api/tenants/${acme}`, { name: 'acme', ...body })
    t.equal(res.status, 400, `${JSON.stringify(body)}: 400`)
    t.match(res.body, { code: 'VALIDATION_FAILED', message: new RegExp(`^${field}: `) })
  }
  t.match((await act('POST', '/api/tenants', { name: 'acme', gpu_quota: 4 })).body, { statusCode: 409 }, 'a duplicate name')
  t.match(await get('/tenants'), 'aria-label="acme: 2 of 8 GPUs"', 'quota unchanged')

  t.equal((await act('PUT', `/api/tenants/${acme}`, { name: 'acme', gpu_quota: 12, plan_tier: 'pro', status: 'active', contact_email: null })).status, 200)
  const frag = (await h.req('GET', '/fragments/tenants', { cookie: (await h.login()).cookie })).text
  t.match(frag, /<meter min="0" max="12"[^>]*aria-label="acme: 2 of 12 GPUs"/, 'the fragment shows the new quota')
  const noToken = await h.req('PUT', `/api/tenants/${acme}`, { cookie: (await h.login()).cookie, json: { gpu_quota: 1 } })
  t.equal(noToken.status, 403, 'a session call without its CSRF token is refused')
})

t.test('alert rules: threshold and webhook forms over PATCH /api/alerts/rules/:id; bad input refused with the API\'s 4xx', async t => {
  const { get, act } = await allocated(t)
  const rules = (await act('GET', '/api/alerts/rules')).body as any[]
  const idle = rules.find(r => r.rule_type === 'idle_gpu')
  const page = await get('/alerts')
  t.match(page, `data-api="/api/alerts/rules/${idle.id}" data-method="PATCH" data-refresh="alerts" data-success="Rule idle_gpu saved"`)
  t.match(page, /<select name="webhook_format" data-omit-unless="webhook_url">/, 'the format is sent only with a URL')

  for (const [body, field] of [[{ threshold: -5 }, 'threshold'], [{ threshold: null }, 'threshold'], [{ webhook_url: 'ftp://hooks.example.com/x' }, 'webhook_url'], [{ webhook_url: 'http://127.0.0.1:9/x' }, 'webhook_url']] as const) {
    const res = await act('PATCH', `/api/alerts/rules/${idle.id}`, body)
    t.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)}: ${res.status}`)
    t.match(res.body.message, new RegExp(field === 'webhook_url' ? 'webhook|address|http' : 'threshold', 'i'))
  }
  t.equal((await act('GET', '/api/alerts/rules')).body.find((r: any) => r.id === idle.id).threshold, idle.threshold, 'nothing written')

  t.equal((await act('PATCH', `/api/alerts/rules/${idle.id}`, { threshold: 45, webhook_url: 'https://hooks.example.com/gpufleet', webhook_format: 'alertmanager' })).status, 200)
  const after = await get('/alerts')
  t.match(after, new RegExp(`<tr data-rule-id="${idle.id}"><th scope="row">idle_gpu</th><td>45 `))
  t.match(after, '<code>https://hooks.example.com/gpufleet</code> <small>(alertmanager)</small>')
  t.match(after, 'value="https://hooks.example.com/gpufleet"', 'the form starts from the stored URL')
})

t.test('nodes: drain, resume and delete from the fleet page; a node with running jobs is not deleted (409 shown)', async t => {
  const { get, act, a } = await allocated(t)
  let page = await get('/')
  t.match(page, `data-api="/api/nodes/${a.nodeId}/drain" data-method="POST"`)
  t.match(page, `data-api="/api/nodes/${a.nodeId}" data-method="DELETE"`)
  t.equal((await act('POST', `/api/nodes/${a.nodeId}/drain`)).status, 200)
  page = await get('/')
  t.match(page, new RegExp(`<th scope="row">a</th>\\s*<td><span class="badge ok">online</span> <span class="badge drained"`), 'marked drained')
  t.match(page, `data-api="/api/nodes/${a.nodeId}/resume" data-method="POST"`, 'and offers resume instead')
  t.equal((await act('POST', `/api/nodes/${a.nodeId}/resume`)).status, 200)
  t.notMatch(await get('/'), /badge drained/)
  const refused = await act('DELETE', `/api/nodes/${a.nodeId}`)
  t.equal(refused.status, 409)
  t.match(refused.body, { code: 'NODE_HAS_RUNNING_JOBS', message: /has running jobs/ })
  t.equal((await act('POST', '/api/nodes/999999/drain')).status, 404)
})

t.test('the worker timeline and alert events name GPUs by index, never by database id', async t => {
  const { get, store, a } = await allocated(t)
  await store.alerts.applyEvaluation({
    ruleId: 3, at: Date.now(), threshold: 85, unknown: [],
    breaches: [{ subject: { type: 'gpu', id: a.gpuIds[3]!, name: 'a/3' }, tenantId: null, message: 'GPU a/3 at 91 °C' }],
  })
  const alerts = await get('/alerts')
  t.match(alerts, '<td>GPU a #3</td>')
  t.notMatch(alerts, new RegExp(`<td>gpu ${a.gpuIds[3]}</td>`))
})

t.test('a job\'s view names the GPUs it holds by node and index', async t => {
  const { get, train } = await allocated(t)
  t.match(await get(`/jobs?job=${train}`), /<span class="badge s-running">running<\/span> · GPUs a: 0, 1 · the last/)
})

t.test('every form the API judges leaves validation to it and has a place for its answer', async t => {
  const { get } = await allocated(t)
  for (const [path] of CONSOLE_PAGES) {
    const page = await get(path)
    for (const form of page.match(/<form\b[^>]*data-api=[\s\S]*?<\/form>/g) ?? []) {
      const tag = form.slice(0, form.indexOf('>') + 1)
      t.match(tag, / novalidate /, `${path}: ${tag.slice(0, 80)} is novalidate`)
      t.match(form, /<p class="form-error error" role="alert"><\/p>/, `${path}: ${tag.slice(0, 80)} shows the API's refusal`)
    }
  }
})
