import t from 'tap'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { chromium, type Page } from 'playwright-core'
import { startControlPlane } from '../../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { CONSOLE_PAGES } from '../../../control-plane/console/console-layout.ts'
import { jsonApi, seedConsoleFleet } from '../../helpers/seed-console-fleet.ts'
import { createGpuHistoryLoop } from '../../../control-plane/loops/create-gpu-history-loop.ts'

// Debian's chromium, installed by test/setup/install-system-deps.sh (never a downloaded browser).
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = join(process.cwd(), '.tap', 'screenshots')

t.test('the console in a real browser: log in, walk every page, act, compare with the API', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: run test/setup/install-system-deps.sh` }, async t => {
  const dir = t.testdir()
  const cp = await startControlPlane(parseControlPlaneConfig({ db: join(dir, 'gpufleet.db'), listen: '127.0.0.1:0' }), {
    log: pino({ level: 'silent' }),
    routers: productParts().routers,
    // No loops: what the pages show must not move under the comparisons (the scheduler would start jobs).
  })
  t.teardown(() => cp.close())
  const root = cp.bootstrapKey!
  const api = jsonApi((path, init) => fetch(cp.url + path, init), root)
  const fleet = await seedConsoleFleet(api, cp.store, { nodes: 6, gpusPerNode: 8, clusters: 2, telemetrySeconds: 120, tenants: 3, jobs: 8, now: Date.now() })

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  // A busy machine (load 10+ on 2 cores) can take longer than Playwright's 30 s default to render.
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', err => problems.push(`page error: ${err.message}`))
  page.on('console', msg => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`) })
  // Every answer the browser got, so the one deliberate refusal (the read key's login) is told apart.
  page.on('response', res => { if (res.status() >= 400 && !(res.status() === 403 && res.url().endsWith('/login'))) problems.push(`${res.status()} ${res.url()}`) })
  page.on('dialog', dialog => { void dialog.accept() })
  mkdirSync(SCREENSHOTS, { recursive: true })
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })

  await t.test('an unauthenticated visit lands on the login form; a read key is refused with a clear message', async t => {
    await page.goto(cp.url + '/jobs')
    t.equal(new URL(page.url()).pathname, '/login')
    const reader = await api('POST', '/api/api-keys', { label: 'reader', permissions: ['read'] })
    await page.getByLabel('Admin API key').fill(reader.key)
    await page.getByRole('button', { name: 'Log in' }).click()
    t.match(await page.getByRole('alert').textContent(), /needs an admin or superadmin key/)
    await shot('login-refused')
  })

  await t.test('log in with the superadmin key by keyboard; the browser keeps no key', async t => {
    await page.getByLabel('Admin API key').fill(root)
    await page.keyboard.press('Enter')
    await page.waitForURL(cp.url + '/')
    t.equal(await page.evaluate(() => (globalThis as any).document.cookie), '', 'the session cookie is HttpOnly')
    t.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0)
    const cookies = await context.cookies()
    t.match(cookies.find(c => c.name === 'gpufleet_session'), { httpOnly: true, sameSite: 'Strict', path: '/' })
    t.notOk((await page.content()).includes(root), 'the key is not in the page')
  })

  await t.test('fleet: KPIs and every node; the offline node and the hot GPU stand out', async t => {
    const overview = await api('GET', '/api/dashboard')
    for (const c of overview.clusters) for (const n of c.nodes) await page.getByRole('rowheader', { name: n.hostname, exact: true }).waitFor()
    t.equal(await page.locator('tr.offline').count(), overview.summary.nodes_offline)
    t.equal(await page.locator('tr.offline th').first().textContent(), fleet.offlineHostname)
    const hot = page.locator('li.gpu.unhealthy', { hasText: 'uncorrectable ECC' })
    t.equal(await hot.count(), 1)
    t.equal(await hot.evaluate(el => (globalThis as any).getComputedStyle(el).borderTopColor), 'rgb(185, 28, 28)', 'drawn in red')
    await shot('fleet')
  })

  await t.test('keyboard: the first Tab reaches the skip link, and focus is visible', async t => {
    await page.keyboard.press('Tab')
    t.equal(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent), 'Skip to content')
    await page.keyboard.press('Tab')
    const outline = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.activeElement).outlineStyle)
    t.not(outline, 'none', 'a focus ring on the next control')
  })

  await t.test('every page from the navigation, each saved as a screenshot', async t => {
    for (const [path, label] of CONSOLE_PAGES) {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label, exact: true }).click()
      await page.waitForURL(cp.url + path)
      t.equal(await page.getByRole('heading', { level: 1 }).textContent(), label)
      if (path === '/telemetry' || path === '/billing' || path === '/analytics') await page.locator('.chart canvas').first().waitFor()
      await shot(path === '/' ? 'fleet-again' : path.slice(1))
    }
  })

  await t.test('telemetry: the live table follows GET /api/gpu-stats at 1 Hz; the power chart follows the pickers', async t => {
    await page.goto(cp.url + '/telemetry')
    const rows = await api('GET', '/api/gpu-stats')
    await page.waitForFunction(() => /live, updated/.test((globalThis as any).document.getElementById('gpu-live-age')?.textContent ?? ''))
    t.equal(await page.locator('#gpu-live tbody tr').count(), rows.length, 'one row per GPU, as the API says')
    const chart = page.locator('[data-chart="power"]')
    await chart.locator('canvas').waitFor()
    const history = await api('GET', '/api/gpu-stats/power-history?days=1&bucket_minutes=5')
    t.equal(await chart.getAttribute('data-points'), String(history.points.length))
    await page.getByLabel('Range', { exact: true }).selectOption('7')
    await page.getByLabel('Bucket', { exact: true }).selectOption('1')
    await page.getByRole('button', { name: 'Show' }).click()
    const minute = await api('GET', '/api/gpu-stats/power-history?days=7&bucket_minutes=1')
    await page.waitForFunction(n => (globalThis as any).document.querySelector('[data-chart="power"]')?.getAttribute('data-points') === n, String(minute.points.length))
    t.match(page.url(), /days=7&bucket_minutes=1/)
    await shot('telemetry-picked')
  })

  await t.test('API keys: generate (shown once), then revoke', async t => {
    await page.goto(cp.url + '/keys')
    await page.getByLabel('Label').fill('browser-made')
    await page.getByRole('checkbox', { name: 'write' }).check()
    await page.getByRole('button', { name: 'Generate' }).click()
    await page.locator('#new-key').waitFor({ state: 'visible' })
    const shown = await page.locator('#new-key-value').textContent()
    t.match(shown, /^gfk_[0-9a-f]{64}$/, 'the new key is shown')
    const made = (await api('GET', '/api/api-keys')).find((k: any) => k.label === 'browser-made')
    t.same(made.permissions, ['read', 'write'])
    t.equal(shown!.slice(0, 12), made.key_prefix)
    await page.locator(`tr[data-key-id="${made.id}"]`).waitFor()
    t.equal((await fetch(`${cp.url}/api/gpu-stats`, { headers: { authorization: `Bearer ${shown}` } })).status, 200, 'the shown key works')
    await shot('keys-generated')
    await page.reload()
    t.notOk((await page.content()).includes(shown!), 'after a reload the key is gone for good')
    await page.getByRole('button', { name: `Revoke key ${made.id}` }).click()
    await page.locator(`tr[data-key-id="${made.id}"]`, { hasText: 'revoked' }).waitFor()
    const after = (await api('GET', '/api/api-keys')).find((k: any) => k.id === made.id)
    t.not(after.revoked_at, null, 'revoked in the API')
    t.equal((await fetch(`${cp.url}/api/gpu-stats`, { headers: { authorization: `Bearer ${shown}` } })).status, 401)
  })

  await t.test('jobs: submit, see it queued with its reason, cancel', async t => {
    await page.goto(cp.url + '/jobs')
    await page.getByLabel('Name').fill('browser-job')
    await page.getByLabel('GPUs').fill('2')
    await page.getByLabel('Tenant').selectOption({ label: 'tenant-1' })
    await page.getByRole('button', { name: 'Submit' }).click()
    await page.getByRole('rowheader', { name: 'browser-job' }).waitFor()
    const job = (await api('GET', '/api/jobs?limit=100')).jobs.find((j: any) => j.name === 'browser-job')
    t.match(job, { gpu_count: 2, tenant_id: fleet.tenantIds[1] })
    const row = page.locator(`tr[data-job-id="${job.id}"]`)
    t.match(await row.textContent(), job.status)
    if (job.pending_reason !== null) t.match(await row.textContent(), job.pending_reason)
    await shot('jobs-submitted')
    await row.getByRole('button', { name: `Cancel job ${job.id}` }).click()
    await page.locator(`tr[data-job-id="${job.id}"]`, { hasText: 'cancelled' }).waitFor()
    t.equal((await api('GET', `/api/jobs/${job.id}`)).status, 'cancelled')
  })

  await t.test('job view: the log\'s tail, re-read while the job has not ended', async t => {
    const job = (await api('GET', '/api/jobs?limit=100')).jobs.find((j: any) => j.status === 'queued' || j.status === 'running' || j.status === 'blocked')
    await cp.store.jobLogs.append({ jobId: job.id, run: 1, offset: 0, bytes: Buffer.from('epoch 1 loss 2.31\n'), at: Date.now() }, 1 << 20)
    await page.goto(`${cp.url}/jobs?job=${job.id}`)
    const log = page.getByLabel(`Output of job ${job.id}`)
    t.equal(await log.textContent(), 'epoch 1 loss 2.31\n')
    await cp.store.jobLogs.append({ jobId: job.id, run: 1, offset: 18, bytes: Buffer.from('epoch 2 loss 1.97\n'), at: Date.now() }, 1 << 20)
    await page.getByLabel(`Output of job ${job.id}`).filter({ hasText: 'epoch 2' }).waitFor()
    await shot('job-log')
  })

  await t.test('alerts: switch a rule off and on', async t => {
    await page.goto(cp.url + '/alerts')
    const box = page.locator('#rule-1-enabled')
    t.equal(await box.isChecked(), true)
    await box.uncheck()
    await page.locator('#rule-1-enabled:not(:checked)').waitFor()
    await page.getByRole('status').filter({ hasText: 'updated' }).waitFor()
    t.equal((await api('GET', '/api/alerts/rules')).find((r: any) => r.id === 1).enabled, false)
    await shot('alerts-rule-off')
    await page.locator('#rule-1-enabled').check()
    await page.locator('#rule-1-enabled:checked').waitFor()
    await page.waitForFunction(async () => true)
    await t.resolveMatch(waitFor(async () => (await api('GET', '/api/alerts/rules')).find((r: any) => r.id === 1).enabled === true), true)
    const active = (await api('GET', '/api/alerts/events?limit=50')).filter((e: any) => e.status === 'active').length
    t.equal(await page.locator('tr.alerting').count(), active, 'active events as the API lists them')
  })

  await t.test('analytics: the alias editor saves through the API', async t => {
    await page.goto(cp.url + '/analytics')
    await page.getByLabel(/ANALYTICS_SOURCE_ALIASES/).fill('{"gpu-node-001":"Rack B"}')
    await page.getByRole('button', { name: 'Save aliases' }).click()
    await page.getByRole('status').filter({ hasText: 'Aliases saved' }).waitFor()
    const env = await api('GET', '/v1/global-env')
    t.same(JSON.parse(env.find((e: any) => e.key === 'ANALYTICS_SOURCE_ALIASES').value), { 'gpu-node-001': 'Rack B' })
  })

  await t.test('node page from a fleet node row, range switch, GPU page from a GPU cell: charts as the API says', async t => {
    // The history loop's pass (the app here runs no loops), so the charts read rollups, stored minutes and the newest readings.
    await createGpuHistoryLoop({ store: cp.store, now: Date.now }).tick()
    const n = (await api('GET', '/api/dashboard')).clusters[0].nodes.find((x: any) => x.hostname !== fleet.offlineHostname)
    await page.goto(cp.url + '/')
    await page.getByRole('link', { name: `History of ${n.hostname}`, exact: true }).click()
    await page.waitForURL(`${cp.url}/node?id=${n.id}`)
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Node')
    const charts = page.locator('[data-chart="gpu-history"]')
    t.equal(await charts.count(), 4)
    await page.locator('[data-chart="gpu-history"][data-points]').nth(3).waitFor()
    const day = await api('GET', `/api/nodes/${n.id}/gpu-history?range=24h`)
    const times = (h: any) => new Set(h.gpus.flatMap((g: any) => g.points.map((p: any) => p.at))).size
    t.equal(await charts.first().getAttribute('data-points'), String(times(day)), 'one x per bucket the API has')
    t.equal(await page.locator('.chart[data-metric="utilization"] .u-legend .u-series').count(), 1 + day.gpus.length, 'a line per GPU, named by index')
    t.match(await page.locator('.chart[data-metric="utilization"] .u-legend').textContent(), /GPU 0.*GPU 7/s)
    await shot('node')

    await page.getByRole('navigation', { name: 'Range' }).getByRole('link', { name: 'last 7 days' }).click()
    await page.waitForURL(`${cp.url}/node?id=${n.id}&range=7d`)
    await page.locator('[data-chart="gpu-history"][data-points]').nth(3).waitFor()
    t.equal(await page.getByRole('link', { name: 'last 7 days' }).getAttribute('aria-current'), 'true')
    const week = await api('GET', `/api/nodes/${n.id}/gpu-history?range=7d`)
    t.equal(await charts.nth(3).getAttribute('data-src'), `/api/nodes/${n.id}/gpu-history?range=7d`)
    t.equal(await charts.nth(3).getAttribute('data-points'), String(times(week)))
    await shot('node-7d')

    await page.goto(cp.url + '/')
    await page.getByRole('link', { name: `History of GPU 3 of ${n.hostname}`, exact: true }).click()
    await page.waitForURL(`${cp.url}/gpu?node=${n.id}&index=3`)
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'GPU')
    t.match(await page.locator('p.lead').textContent(), new RegExp(`^GPU 3 · .* of ${n.hostname}`))
    await page.locator('[data-chart="gpu-history"][data-points]').nth(3).waitFor()
    t.match(await page.locator('.chart[data-metric="temperature"] .u-legend').textContent(), /GPU 3 avg.*GPU 3 max/s, 'average and maximum of the one GPU')
    const dbId = n.gpus.find((g: any) => g.gpu_index === 3).id
    t.notMatch(await page.locator('main').textContent(), new RegExp(`GPU ${dbId}\\b`), 'never named by database id')
    await shot('gpu')
  })

  await t.test('a one-point chart keeps a sane x-axis (it ran out to years)', async t => {
    const cluster = (await api('GET', '/api/clusters'))[0]
    const at = Date.now() - 60_000
    await api('POST', '/api/gpu-stats', { node: { hostname: 'lonely-node', cluster: cluster.name }, gpus: [{ gpu_id: 0, recorded_at: new Date(at).toISOString(), name: 'NVIDIA B200', utilization_pct: 42, temp_c: 51, power_draw_w: 400, memory_used_mb: 1024, memory_total_mb: 183359 }] })
    const node = (await api('GET', `/api/clusters/${cluster.id}`)).nodes.find((x: any) => x.hostname === 'lonely-node')
    await page.goto(`${cp.url}/gpu?node=${node.id}&index=0&range=24h`)
    const chart = page.locator('.chart[data-metric="utilization"]')
    await page.locator('.chart[data-metric="utilization"][data-x-max]').waitFor()
    t.equal(await chart.getAttribute('data-points'), '1')
    const [min, max] = [Number(await chart.getAttribute('data-x-min')), Number(await chart.getAttribute('data-x-max'))]
    const point = Math.floor(at / 300_000) * 300
    t.ok(min < point && point < max, 'the point is inside the axis')
    t.ok(max - min <= 2 * 300, `the axis spans a step either side, not years (${new Date(min * 1000).toISOString()} – ${new Date(max * 1000).toISOString()})`)
    await shot('one-point-chart')
  })

  await t.test('telemetry: the power chart says whose power it is, and a cluster can be picked', async t => {
    await page.goto(cp.url + '/telemetry')
    t.equal(await page.locator('#power-h').textContent(), 'Power over time')
    const chart = page.locator('[data-chart="power"]')
    await chart.locator('canvas').waitFor()
    t.equal(await page.locator('#power-scope').textContent(), 'the whole fleet')
    t.match(await chart.locator('.u-legend').textContent(), /Fleet power \(W\)/)
    const cluster = (await api('GET', '/api/clusters'))[1]
    await page.getByLabel('Scope', { exact: true }).selectOption({ label: `Cluster ${cluster.name}` })
    await page.getByRole('button', { name: 'Show' }).click()
    const scoped = await api('GET', `/api/gpu-stats/power-history?days=1&bucket_minutes=5&cluster_id=${cluster.id}`)
    await page.waitForFunction(() => /cluster_id=/.test((globalThis as any).document.querySelector('[data-chart="power"]')?.getAttribute('data-src') ?? ''))
    await page.locator('#power-scope', { hasText: `cluster ${cluster.name}` }).waitFor()
    t.equal(await chart.getAttribute('data-points'), String(scoped.points.length))
    t.match(await chart.locator('.u-legend').textContent(), `Cluster ${cluster.name} power (W)`)
    t.match(page.url(), `cluster_id=${cluster.id}`)
    await page.getByLabel('Scope', { exact: true }).selectOption({ label: 'Whole fleet' })
    await page.getByRole('button', { name: 'Show' }).click()
    await page.locator('#power-scope', { hasText: 'the whole fleet' }).waitFor()
    t.notMatch(await chart.getAttribute('data-src'), /cluster_id/, 'the whole fleet sends no cluster_id')
    await shot('telemetry-cluster-power')
  })

  await t.test('log out: back to the login form, and the old session is gone', async t => {
    // From a page with no 1 Hz poll, its loads done: a poll already in flight when the session
    // ends is answered 401, which the browser logs (the console starts none once log out is sent).
    await page.goto(cp.url + '/analytics')
    await page.waitForLoadState('networkidle')
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.waitForURL(cp.url + '/login')
    await page.goto(cp.url + '/')
    t.equal(new URL(page.url()).pathname, '/login')
  })

  t.same(problems.filter(p => !/Failed to load resource: the server responded with a status of 403/.test(p)), [], 'no script errors, no CSP violations, no failed requests')
})

async function waitFor (check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return false
}

export type { Page }
