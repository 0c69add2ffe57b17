import t, { type Test } from 'tap'
import { consoleHarness } from './console-harness.ts'
import { seedConsoleFleet } from '../../helpers/seed-console-fleet.ts'
import { CONSOLE_PAGES } from '../../../control-plane/console/console-layout.ts'

async function seeded (t: Test) {
  const h = await consoleHarness(t)
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await h.req(method, path, { key: h.root, ...(body === undefined ? {} : { json: body }) })
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`)
    return r.body
  }
  const fleet = await seedConsoleFleet(api, h.store, { nodes: 6, gpusPerNode: 8, clusters: 2, telemetrySeconds: 5, tenants: 3, jobs: 12, now: h.now() })
  const session = await h.login()
  return { h, api, fleet, ...session }
}

t.test('every page renders from the API as the session, with the security headers and no inline code', async t => {
  const { h, cookie, csrf } = await seeded(t)
  for (const [path, label] of CONSOLE_PAGES) {
    const res = await h.req('GET', path, { cookie })
    t.equal(res.status, 200, `${path} 200`)
    t.match(res.text, new RegExp(`<h1>${label}</h1>`), `${path} is the ${label} page`)
    t.match(res.text, new RegExp(`<a href="${path}" aria-current="page">`), 'navigation marks the page shown')
    const csp = res.headers.get('content-security-policy') ?? ''
    t.match(csp, /script-src 'self'/)
    t.match(csp, /frame-ancestors 'none'/)
    t.notMatch(csp, /unsafe-inline/)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
    t.equal(res.headers.get('cache-control'), 'no-store')
    t.notMatch(res.text, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script')
    t.notMatch(res.text, /\sstyle=/, 'no inline style attribute')
    t.notMatch(res.text, /\son[a-z]+=/, 'no inline event handler')
    t.notOk(res.text.includes(h.root), 'the login key never reaches the page')
    t.match(res.text, `<meta name="csrf-token" content="${csrf}">`)
    // Every form control is labelled: inside a <label>, or named by one (for=), or aria-label.
    const controls = res.text.match(/<(input|select|textarea)\b[^>]*>/g) ?? []
    for (const tag of controls) {
      if (/type="hidden"/.test(tag)) continue
      const id = /\sid="([^"]+)"/.exec(tag)?.[1]
      const named = /aria-label=/.test(tag) || (id !== undefined && res.text.includes(`for="${id}"`))
      const before = res.text.slice(0, res.text.indexOf(tag))
      const insideLabel = before.lastIndexOf('<label') > before.lastIndexOf('</label>')
      t.ok(named || insideLabel, `${path}: labelled control ${tag.slice(0, 60)}`)
    }
  }
})

t.test('fleet page: every node from the API, offline nodes and unhealthy GPUs marked', async t => {
  const { h, api, cookie, fleet } = await seeded(t)
  const overview = await api('GET', '/api/dashboard')
  const page = (await h.req('GET', '/', { cookie })).text
  for (const c of overview.clusters) for (const n of c.nodes) t.match(page, `<th scope="row">${n.hostname}</th>`)
  t.equal((page.match(/<tr class="offline">/g) ?? []).length, overview.summary.nodes_offline, 'one offline row per offline node')
  t.match(page, new RegExp(`<tr class="offline"><th scope="row">${fleet.offlineHostname}</th>`))
  t.match(page, /class="gpu unhealthy"[^>]*title="GPU 0 NVIDIA B200 — uncorrectable ECC errors, hot"/, 'the hot ECC GPU stands out')
  const kpis = await api('GET', '/api/dashboard/kpis')
  t.match(page, `${kpis.fleet_utilization.active_gpus} of ${kpis.fleet_utilization.total_gpus} GPUs active`)
  const frag = await h.req('GET', '/fragments/fleet', { cookie })
  t.equal(frag.status, 200)
  t.notMatch(frag.text, /<html/, 'a fragment is not a whole page')
})

t.test('telemetry, tenants, jobs, billing, alerts, keys, analytics and workers show what the API says', async t => {
  const { h, api, cookie } = await seeded(t)
  const get = async (p: string) => (await h.req('GET', p, { cookie })).text

  const stats = await api('GET', '/api/gpu-stats')
  const telemetry = await get('/telemetry?days=7&bucket_minutes=60')
  t.equal((telemetry.match(/<tr><td>gpu-node-/g) ?? []).length, stats.length, 'one row per GPU sample')
  t.match(telemetry, 'data-src="/api/gpu-stats/power-history?days=7&amp;bucket_minutes=60"', 'range and bucket picked')
  t.match(telemetry, '<option value="7" selected>')
  t.match(await get('/telemetry?days=999&bucket_minutes=abc'), 'data-src="/api/gpu-stats/power-history?days=1&amp;bucket_minutes=5"', 'bad picks fall back to defaults')

  const tenants = await api('GET', '/api/tenants')
  const tenantsPage = await get('/tenants')
  for (const tn of tenants) t.match(tenantsPage, new RegExp(`<meter min="0" max="${tn.gpu_quota}"[^>]*value="${tn.gpus_in_use}" aria-label="${tn.name}: `))

  const jobs = await api('GET', '/api/jobs?limit=100')
  const jobsPage = await get('/jobs')
  for (const j of jobs.jobs) {
    t.match(jobsPage, `<tr data-job-id="${j.id}">`)
    if (j.pending_reason !== null) t.match(jobsPage, new RegExp(`<tr data-job-id="${j.id}">.*?<abbr[^>]*>${j.pending_reason}</abbr>`, 's'))
  }

  const summary = await api('GET', '/api/billing/summary')
  const billing = await get('/billing')
  for (const inv of summary.recent_invoices) t.match(billing, `<td class="n">${inv.id}</td><td>${inv.tenant_name}</td>`)
  t.match(billing, 'data-chart="revenue" data-src="/api/dashboard/revenue?days=30"')

  const rules = await api('GET', '/api/alerts/rules')
  const alerts = await get('/alerts')
  for (const r of rules) t.match(alerts, new RegExp(`id="rule-${r.id}-enabled"[^>]*${r.enabled ? ' checked' : ''}>`))
  const events = await api('GET', '/api/alerts/events?limit=50')
  t.equal((alerts.match(/<tr class="alerting">/g) ?? []).length, events.filter((e: any) => e.status === 'active').length)

  const keys = await api('GET', '/api/api-keys')
  const keysPage = await get('/keys')
  for (const k of keys) t.match(keysPage, `<code>${k.key_prefix}…</code>`)
  t.match(keysPage, /<th scope="col">Cluster<\/th>/, "an agent key's cluster binding is shown")

  const history = await api('GET', '/v1/history/inference?limit=50')
  const analytics = await get('/analytics?kind=inference')
  t.equal((analytics.match(/<tr><td>2026-/g) ?? []).length, history.jobs.length, 'one row per inference record on the page')
  t.match(analytics, 'Rack A', 'aliases label the source')
  t.match(await get('/analytics?kind=../../etc&offset=-1'), '<option value="compute" selected>', 'unknown kind falls back')

  const worker = await api('GET', `/admin/worker-events?since=${encodeURIComponent(new Date(h.now() - 86_400_000).toISOString())}&limit=20000`)
  const workers = await get('/workers')
  t.equal((workers.match(/<li class="ev-/g) ?? []).length, Math.min(500, worker.events.length))
})

t.test('assets: the client script, CSS and uPlot are served with types and ETags; 304 on a match', async t => {
  const h = await consoleHarness(t)
  for (const [name, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css'], ['uPlot.iife.min.js', 'text/javascript'], ['uPlot.min.css', 'text/css']] as const) {
    const res = await h.req('GET', `/assets/${name}`)
    t.equal(res.status, 200, name)
    t.match(res.headers.get('content-type') ?? '', type)
    const etag = res.headers.get('etag') ?? ''
    t.equal((await h.req('GET', `/assets/${name}`, { headers: { 'if-none-match': etag } })).status, 304)
  }
})

t.test('node and GPU pages: per-GPU history charts and figures, linked from the fleet page; bad links are 4xx pages', async t => {
  const { h, api, cookie } = await seeded(t)
  const get = (p: string) => h.req('GET', p, { cookie })
  const overview = await api('GET', '/api/dashboard')
  const n = overview.clusters[0].nodes[0]
  const fleetPage = (await get('/')).text
  t.match(fleetPage, `<a href="/node?id=${n.id}" aria-label="History of ${n.hostname}">history</a>`, 'a node row links its page')
  t.match(fleetPage, `<a class="idx" href="/gpu?node=${n.id}&amp;index=${n.gpus[1].gpu_index}" aria-label="History of GPU ${n.gpus[1].gpu_index} of ${n.hostname}">`, 'a GPU cell links its page, by index')

  const nodePage = await get(`/node?id=${n.id}`)
  t.equal(nodePage.status, 200)
  t.match(nodePage.text, '<h1>Node</h1>')
  t.match(nodePage.text, `<strong>${n.hostname}</strong>`)
  t.equal((nodePage.text.match(/data-chart="gpu-history"/g) ?? []).length, 4, 'utilization, temperature, memory and power')
  t.match(nodePage.text, `data-src="/api/nodes/${n.id}/gpu-history?range=24h"`, '24 hours by default')
  t.match(nodePage.text, `<a href="/node?id=${n.id}&amp;range=24h" aria-current="true">last 24 hours</a>`)
  t.match(nodePage.text, '/assets/uPlot.iife.min.js')
  const history = await api('GET', `/api/nodes/${n.id}/gpu-history?range=1h`)
  const hour = (await get(`/node?id=${n.id}&range=1h`)).text
  t.match(hour, `data-src="/api/nodes/${n.id}/gpu-history?range=1h"`)
  for (const g of history.gpus) t.match(hour, `<a href="/gpu?node=${n.id}&amp;index=${g.gpu_index}&amp;range=1h">GPU ${g.gpu_index}</a>`)
  t.match((await get(`/node?id=${n.id}&range=forever`)).text, 'range=24h', 'an unknown range falls back to 24 hours')

  const gpu = await get(`/gpu?node=${n.id}&index=2&range=7d`)
  t.equal(gpu.status, 200)
  t.match(gpu.text, '<h1>GPU</h1>')
  t.match(gpu.text, `<strong>GPU 2</strong>`)
  t.match(gpu.text, `data-src="/api/nodes/${n.id}/gpu-history?range=7d&amp;gpu=2"`)
  t.notMatch(gpu.text, new RegExp(`GPU ${n.gpus[2].id}\\b(?! of)`), 'named by index, never by database id')

  for (const [path, status] of [['/node', 400], ['/node?id=abc', 400], ['/node?id=0', 400], ['/node?id=99999', 404], ['/gpu?node=1', 400], ['/gpu?node=1&index=x', 400], [`/gpu?node=${n.id}&index=77`, 404]] as const) {
    const res = await get(path)
    t.equal(res.status, status, `${path}: ${status}`)
    t.match(res.text, /<p class="error" role="alert">/, 'shown as a page, not a crash')
  }
})
