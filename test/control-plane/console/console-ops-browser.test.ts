import t from 'tap'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { chromium } from 'playwright-core'
import { startControlPlane } from '../../../control-plane/start-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { CONSOLE_PAGES } from '../../../control-plane/console/console-layout.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'
import { jsonApi, seedConsoleFleet } from '../../helpers/seed-console-fleet.ts'
import { fleetBuilder, schedulingRows } from '../store/insight-fixture.ts'

// Debian's chromium, installed by test/setup/install-system-deps.sh (never a downloaded browser).
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = join(process.cwd(), '.tap', 'screenshots')
const MIN = 60_000
const H = 60 * MIN

/**
 * The console's operator actions in a real browser (issue 17): the allocation view with a
 * held-but-idle GPU, editing a tenant's quota, a rule's threshold and webhook, draining and
 * resuming a node, each bad form input answered with the API's own 4xx message beside the
 * form; and a phone-sized viewport where the page never scrolls sideways. Beside
 * console-browser.test.ts (the walk through every page), with its screenshots in the same place.
 */
t.test('the console\'s operator actions in a real browser', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: run test/setup/install-system-deps.sh` }, async t => {
  const dir = t.testdir()
  const dbPath = join(dir, 'gpufleet.db')
  const cp = await startControlPlane(parseControlPlaneConfig({ db: dbPath, listen: '127.0.0.1:0' }), {
    log: pino({ level: 'silent' }),
    routers: productParts().routers,
    // No loops: the scheduler would move the running job the test places by hand.
  })
  t.teardown(() => cp.close())
  const root = cp.bootstrapKey!
  const api = jsonApi((path, init) => fetch(cp.url + path, init), root)
  const now = Date.now()
  const fleet = await seedConsoleFleet(api, cp.store, { nodes: 4, gpusPerNode: 8, clusters: 2, telemetrySeconds: 5, tenants: 3, jobs: 4, now })

  // A running job on gpu-node-002's GPUs 0 and 1 for 2 h: GPU 0 idle for the last hour, GPU 1 busy.
  const db = openSqliteDb(dbPath)
  t.teardown(() => db.close())
  const rows = schedulingRows(db)
  const overview = await api('GET', '/api/dashboard')
  const node2 = overview.clusters.flatMap((c: any) => c.nodes).find((n: any) => n.hostname === 'gpu-node-002')
  const job = rows.job({ clusterId: (await api('GET', '/api/clusters'))[0].id, tenantId: fleet.tenantIds[0], name: 'idle-train', status: 'running', gpuCount: 2, submittedAt: now - 2 * H, startedAt: now - 2 * H })
  rows.assign(job, node2.gpus[0].id, now - 2 * H)
  rows.assign(job, node2.gpus[1].id, now - 2 * H)
  await fleetBuilder(cp.store).samples(node2.id, 0, now - H, now - 10_000, MIN, 0)
  await fleetBuilder(cp.store).samples(node2.id, 1, now - H, now - 10_000, MIN, 90)

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  // A busy machine (load 10+ on 2 cores) can take longer than Playwright's 30 s default to render.
  context.setDefaultTimeout(120_000)
  const page = await context.newPage()
  const problems: string[] = []
  // The refusals this test provokes on purpose, as `status path`; any other 4xx/5xx is a problem.
  const expected = new Set<string>()
  page.on('pageerror', err => problems.push(`page error: ${err.message}`))
  page.on('console', msg => { if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (400|409)/.test(msg.text())) problems.push(`console: ${msg.text()}`) })
  page.on('response', res => {
    const key = `${res.status()} ${new URL(res.url()).pathname}`
    if (res.status() >= 400 && !expected.has(key)) problems.push(key)
  })
  page.on('dialog', dialog => { void dialog.accept() })
  mkdirSync(SCREENSHOTS, { recursive: true })
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })

  await page.goto(cp.url + '/login')
  await page.getByLabel('Admin API key').fill(root)
  await page.keyboard.press('Enter')
  await page.waitForURL(cp.url + '/')

  await t.test('allocation: the job and tenant of each GPU; the held-but-idle GPU marked; relative times', async t => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Allocation', exact: true }).click()
    await page.waitForURL(cp.url + '/allocation')
    const idle = page.locator('tr[data-gpu="gpu-node-002/0"]')
    t.equal(await idle.getAttribute('class'), 'use-idle-allocated')
    t.match(await idle.textContent(), /allocated, idle/)
    t.match(await idle.textContent(), new RegExp(`${job} idle-train`))
    t.match(await idle.textContent(), /tenant-0/)
    t.equal(await idle.evaluate(el => (globalThis as any).getComputedStyle(el).backgroundColor), 'rgb(254, 242, 242)', 'drawn in red')
    t.equal(await page.locator('tr[data-gpu="gpu-node-002/1"]').getAttribute('class'), 'use-busy')
    const leakage = await api('GET', '/api/dashboard/leakage')
    t.same(leakage.idle_allocated_gpus.map((g: any) => `${g.hostname}/${g.gpu_index}`), ['gpu-node-002/0'], 'as the API lists it')
    // The script fills "(… ago)" beside each absolute time.
    await page.waitForFunction(() => /\((\d+ (s|min|h|d) ago|just now)\)/.test((globalThis as any).document.querySelector('time.ago')?.textContent ?? ''))
    t.match(await page.locator(`tr[data-alloc-job="${job}"] time.ago`).textContent(), /\(2 h ago\)/)
    await shot('allocation')

    await page.goto(cp.url + '/')
    const kpis = await api('GET', '/api/dashboard/kpis')
    t.equal(kpis.revenue_leakage.idle_allocated_gpus, 1)
    t.equal(await page.locator('.kpis div', { hasText: 'Revenue leakage' }).textContent(), `Revenue leakage${Math.round(kpis.revenue_leakage.percentage)} %1 idle allocated GPUs`)
  })

  await t.test('tenants: a bad quota shows the API\'s 400 beside the form, nothing written; a good one is saved', async t => {
    const tenant = fleet.tenantIds[1]!
    await page.goto(cp.url + '/tenants')
    await page.locator(`tr[data-tenant-id="${tenant}"] summary`).click()
    const form = page.getByRole('form', { name: 'Edit tenant tenant-1' })
    await form.getByLabel('GPU quota').fill('0')
    expected.add(`400 /api/tenants/${tenant}`)
    await form.getByRole('button', { name: 'Save tenant tenant-1' }).click()
    const error = form.locator('.form-error')
    await error.filter({ hasText: 'VALIDATION_FAILED' }).waitFor()
    t.match(await error.textContent(), /^gpu_quota: .*\(VALIDATION_FAILED\)$/, 'the API\'s message and code')
    t.match(await page.getByRole('status').textContent(), /gpu_quota/, 'and in the page\'s status line')
    t.equal((await api('GET', `/api/tenants/${tenant}`)).gpu_quota, 16, 'nothing written')
    await shot('tenant-bad-quota')

    await form.getByLabel('GPU quota').fill('24')
    await form.getByRole('button', { name: 'Save tenant tenant-1' }).click()
    await page.getByRole('status').filter({ hasText: 'Tenant tenant-1 updated' }).waitFor()
    t.equal((await api('GET', `/api/tenants/${tenant}`)).gpu_quota, 24)
    await page.locator(`tr[data-tenant-id="${tenant}"]`, { hasText: '/ 24 GPUs' }).waitFor()

    // Create with a blank name: the API's message; then a good one, then delete it.
    const create = page.locator('form[data-api="/api/tenants"]')
    expected.add('400 /api/tenants')
    await create.getByRole('button', { name: 'Create tenant' }).click()
    await create.locator('.form-error').filter({ hasText: /^name: / }).waitFor()
    await create.getByLabel('Name').fill('browser-tenant')
    await create.getByLabel('GPU quota').fill('4')
    await create.getByRole('button', { name: 'Create tenant' }).click()
    await page.getByRole('rowheader', { name: 'browser-tenant' }).waitFor()
    const made = (await api('GET', '/api/tenants')).find((x: any) => x.name === 'browser-tenant')
    t.match(made, { gpu_quota: 4, plan_tier: 'starter', status: 'active' })
    await page.locator(`tr[data-tenant-id="${made.id}"] summary`).click()
    await page.getByRole('button', { name: 'Delete tenant browser-tenant' }).click()
    await page.getByRole('status').filter({ hasText: 'Tenant browser-tenant deleted' }).waitFor()
    t.notOk((await api('GET', '/api/tenants')).some((x: any) => x.name === 'browser-tenant'))
    await shot('tenants-edited')
  })

  await t.test('alert rules: a bad threshold shows the API\'s 400; threshold and webhook saved', async t => {
    const rules = await api('GET', '/api/alerts/rules')
    const rule = rules.find((r: any) => r.rule_type === 'idle_gpu')
    await page.goto(cp.url + '/alerts')
    await page.locator(`tr[data-rule-id="${rule.id}"] summary`).click()
    const form = page.getByRole('form', { name: 'Edit rule idle_gpu' })
    await form.getByLabel(/^Threshold/).fill('-5')
    expected.add(`400 /api/alerts/rules/${rule.id}`)
    await form.getByRole('button', { name: 'Save rule idle_gpu' }).click()
    await form.locator('.form-error').filter({ hasText: /threshold/ }).waitFor()
    t.match(await form.locator('.form-error').textContent(), /\((VALIDATION_FAILED|[A-Z_]+)\)$/)
    t.equal((await api('GET', '/api/alerts/rules')).find((r: any) => r.id === rule.id).threshold, rule.threshold, 'nothing written')
    await shot('alerts-bad-threshold')

    await form.getByLabel(/^Threshold/).fill('45')
    await form.getByLabel('Webhook URL').fill('https://hooks.example.com/gpufleet')
    await form.getByLabel('Webhook format').selectOption('alertmanager')
    await form.getByRole('button', { name: 'Save rule idle_gpu' }).click()
    await page.getByRole('status').filter({ hasText: 'Rule idle_gpu saved' }).waitFor()
    t.match((await api('GET', '/api/alerts/rules')).find((r: any) => r.id === rule.id), { threshold: 45, webhook_url: 'https://hooks.example.com/gpufleet', webhook_format: 'alertmanager' })
    await page.locator(`tr[data-rule-id="${rule.id}"]`, { hasText: '45 ' }).waitFor()
    await shot('alerts-rule-edited')
  })

  await t.test('nodes: drain and resume from the fleet page; deleting a node with a running job shows the API\'s 409', async t => {
    await page.goto(cp.url + '/')
    const row = () => page.locator('table.nodes tr', { has: page.getByRole('rowheader', { name: 'gpu-node-003', exact: true }) })
    await row().getByRole('button', { name: 'Drain node gpu-node-003' }).click()
    await page.getByRole('status').filter({ hasText: 'Node gpu-node-003 drained' }).waitFor()
    await row().locator('.badge.drained').waitFor()
    const drained = (await api('GET', '/api/dashboard')).clusters.flatMap((c: any) => c.nodes).find((n: any) => n.hostname === 'gpu-node-003')
    t.not(drained.drained_at, null, 'drained in the API')
    await shot('node-drained')
    await row().getByRole('button', { name: 'Resume node gpu-node-003' }).click()
    await page.getByRole('status').filter({ hasText: 'Node gpu-node-003 resumed' }).waitFor()
    await row().getByRole('button', { name: 'Drain node gpu-node-003' }).waitFor()
    t.equal((await api('GET', '/api/dashboard')).clusters.flatMap((c: any) => c.nodes).find((n: any) => n.hostname === 'gpu-node-003').drained_at, null)

    expected.add(`409 /api/nodes/${node2.id}`)
    const busy = page.locator('table.nodes tr', { has: page.getByRole('rowheader', { name: 'gpu-node-002', exact: true }) })
    await busy.getByRole('button', { name: 'Delete node gpu-node-002' }).click()
    await page.getByRole('status').filter({ hasText: 'NODE_HAS_RUNNING_JOBS' }).waitFor()
    t.match(await page.getByRole('status').textContent(), new RegExp(`node ${node2.id} has running jobs: ${job} \\(NODE_HAS_RUNNING_JOBS\\)`))
    t.equal(await page.locator('#flash').getAttribute('class'), 'error', 'shown as an error')
    await shot('node-delete-refused')
  })

  await t.test('jobs: a bad GPU count is answered by the API, beside the submit form', async t => {
    await page.goto(cp.url + '/jobs')
    const form = page.locator('form[data-api="/api/jobs"]')
    await form.getByLabel('Name').fill('zero-gpus')
    await form.getByLabel('GPUs').fill('0')
    expected.add('400 /api/jobs')
    await form.getByRole('button', { name: 'Submit' }).click()
    await form.locator('.form-error').filter({ hasText: /^gpu_count: .*\(VALIDATION_FAILED\)$/ }).waitFor()
    t.notOk((await api('GET', '/api/jobs?limit=100')).jobs.some((j: any) => j.name === 'zero-gpus'), 'nothing written')
  })

  await t.test('a narrow screen (375 px): no page scrolls sideways; wide tables scroll inside their box', async t => {
    const narrow = await browser.newContext({ viewport: { width: 375, height: 800 } })
    // A busy machine (load 10+ on 2 cores) can take longer than Playwright's 30 s default to render.
    narrow.setDefaultTimeout(120_000)
    t.teardown(() => narrow.close())
    const phone = await narrow.newPage()
    phone.on('pageerror', err => problems.push(`narrow page error: ${err.message}`))
    await phone.goto(cp.url + '/login')
    await phone.getByLabel('Admin API key').fill(root)
    await phone.keyboard.press('Enter')
    await phone.waitForURL(cp.url + '/')
    for (const [path] of CONSOLE_PAGES) {
      await phone.goto(cp.url + path)
      if (path === '/telemetry' || path === '/billing' || path === '/analytics') await phone.locator('.chart canvas').first().waitFor()
      const { scroll, client } = await phone.evaluate(() => {
        const el = (globalThis as any).document.documentElement
        return { scroll: el.scrollWidth as number, client: el.clientWidth as number }
      })
      t.ok(scroll <= client, `${path}: the page is ${scroll} px wide in a ${client} px viewport`)
      await phone.screenshot({ path: join(SCREENSHOTS, `narrow-${path === '/' ? 'fleet' : path.slice(1)}.png`), fullPage: true })
    }
    await phone.goto(cp.url + '/jobs')
    const box = phone.locator('.table-scroll').first()
    const sizes = await box.evaluate(el => ({ scroll: el.scrollWidth as number, client: el.clientWidth as number, overflow: (globalThis as any).getComputedStyle(el).overflowX as string }))
    t.ok(sizes.scroll > sizes.client, `the jobs table (${sizes.scroll} px) is wider than its box (${sizes.client} px)…`)
    t.equal(sizes.overflow, 'auto', '…and scrolls inside it')
    await box.evaluate(el => { el.scrollLeft = 10_000 })
    t.ok(await box.evaluate(el => el.scrollLeft > 0), 'scrolled sideways inside the box')
  })

  t.same(problems, [], 'no script errors, no CSP violations, no failed requests but the ones provoked')
})
