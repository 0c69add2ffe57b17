import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from './run-cli.ts'
import { startLiveFleet } from '../sdk/live-fleet.ts'

interface Ran { code: number | null, stdout: string, stderr: string }

t.test('tenants, clusters create, jobs hold|release, rates, usage, invoices, alerts rules set, --watch, --status a,b, completion', async t => {
  const fleet = await startLiveFleet(t)
  const home = join(fleet.dir, 'xdg')
  mkdirSync(home)
  const env = { XDG_CONFIG_HOME: home, GPUFLEET_URL: fleet.cpUrl, GPUFLEET_API_KEY: fleet.rootKey, GPUFLEET_NODE: undefined, GPUFLEET_CONFIG: undefined }
  const cli = async (args: string[]): Promise<Ran> => {
    const run = runCli(args, env)
    const { code } = await run.exited
    return { code, stdout: run.stdout(), stderr: run.stderr() }
  }
  const json = <T>(r: Ran): T => JSON.parse(r.stdout) as T
  /** A usage error: exit 2 and one line on stderr. */
  const usage = async (t: Tap, args: string[], says: RegExp) => {
    const r = await cli(args)
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, says)
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`)
  }
  type Tap = typeof t

  t.test('tenants create | update | delete', async t => {
    const made = await cli(['tenants', 'create', '--name', 'Acme ML', '--quota', '16', '--email', 'billing@acme.ai', '--plan', 'pro', '--json'])
    t.equal(made.code, 0, made.stderr)
    const tenant = json<{ id: number }>(made)
    t.match(tenant, { name: 'Acme ML', gpu_quota: 16, contact_email: 'billing@acme.ai', plan_tier: 'pro', status: 'active' })
    const human = await cli(['tenants', 'create', '--name', 'Beta', '--quota', '2'])
    t.match(human.stdout, /^tenant \d+ \(Beta\) created: quota 2 GPUs, plan starter, active\n$/)
    const updated = await cli(['tenants', 'update', String(tenant.id), '--quota', '32', '--no-email', '--status', 'inactive', '--json'])
    t.equal(updated.code, 0, updated.stderr)
    t.match(json(updated), { id: tenant.id, gpu_quota: 32, contact_email: null, status: 'inactive', name: 'Acme ML' })
    t.match((await cli(['tenants'])).stdout, /Acme ML\s+inactive\s+pro\s+0\/32/, 'listed as updated')
    await usage(t, ['tenants', 'create', '--name', 'x', '--quota', 'many'], /--quota must be a positive integer/)
    await usage(t, ['tenants', 'create', '--name', 'x', '--quota', '1', '--plan', 'gold'], /--plan must be one of starter, pro, growth, enterprise/)
    await usage(t, ['tenants', 'create', '--quota', '1'], /required option '--name <name>'/)
    await usage(t, ['tenants', 'update', String(tenant.id)], /nothing to update/)
    await usage(t, ['tenants', 'update', 'acme', '--quota', '1'], /tenant id must be a positive integer/)
    const dup = await cli(['tenants', 'create', '--name', 'Beta', '--quota', '1'])
    t.equal(dup.code, 3, 'a name taken: the API says no (3)')
    t.match(dup.stderr, /^gpufleet: error: .+ \([A-Z_]+, HTTP 409\)/, 'with the API\'s code and status')
    const bad = await cli(['tenants', 'create', '--name', 'x', '--quota', '1', '--email', 'not-an-email'])
    t.equal(bad.code, 3)
    t.match(bad.stderr, /VALIDATION_FAILED, HTTP 400/)
    const gone = await cli(['tenants', 'delete', String(tenant.id)])
    t.equal(gone.code, 0, gone.stderr)
    t.match(gone.stdout, `tenant ${tenant.id} deleted`)
    t.equal((await cli(['tenants', 'delete', String(tenant.id)])).code, 3, 'gone: 404 → 3')
  })

  t.test('clusters create prints the agents\' key once', async t => {
    const made = await cli(['clusters', 'create', '--name', 'west', '--region', 'us-west-2'])
    t.equal(made.code, 0, made.stderr)
    t.match(made.stdout, /^gfk_[0-9a-f]+\n$/, 'the key alone on stdout')
    t.match(made.stderr, /cluster \d+ \(west\) created; .*shown only once/)
    const viaJson = await cli(['clusters', 'create', '--name', 'east', '--time-limit', '120', '--json'])
    t.match(json(viaJson), { name: 'east', api_key: /^gfk_/, api_key_prefix: String })
    t.match((await cli(['clusters'])).stdout, /west\s+us-west-2/)
    await usage(t, ['clusters', 'create'], /required option '--name <name>'/)
    await usage(t, ['clusters', 'create', '--name', 'x', '--time-limit', '2h'], /--time-limit must be a positive integer/)
    t.equal((await cli(['clusters', 'create', '--name', 'west'])).code, 3, 'a name taken → 3')
  })

  t.test('jobs hold | release; jobs list --status with several values', async t => {
    const submit = async (name: string, gpus: string) => json<{ id: number, status: string }>(await cli(['jobs', 'submit', '--cluster', String(fleet.clusterId), '--name', name, '--gpus', gpus, '--json']))
    const a = await submit('a', '1')
    const b = await submit('b', '1')
    const held = await cli(['jobs', 'hold', String(a.id), '--reason', 'maintenance'])
    t.equal(held.code, 0, held.stderr)
    t.match(held.stdout, `job ${a.id} held (blocked: maintenance)`)
    t.match(await fleet.client.getJob(a.id), { status: 'blocked', blockReason: 'maintenance', pendingReason: 'OPERATOR_HOLD' })
    const released = await cli(['jobs', 'release', String(a.id), '--json'])
    t.equal(released.code, 0, released.stderr)
    t.match(json(released), { id: a.id, status: 'queued' })
    t.not((await fleet.client.getJob(a.id)).pendingReason, 'OPERATOR_HOLD')
    await cli(['jobs', 'hold', String(b.id)])
    const c = await submit('c', '1')
    await cli(['jobs', 'cancel', String(c.id)])
    // (No nodes: the scheduler finds a released job never fits, so it waits blocked too.)
    const both = json<Array<{ id: number, status: string }>>(await cli(['jobs', 'list', '--status', 'cancelled,blocked', '--json']))
    t.same(both.map(j => j.id), [c.id, b.id, a.id], 'two statuses: both lists merged, newest first')
    t.same(new Set(both.map(j => j.status)), new Set(['cancelled', 'blocked']))
    const one = json<Array<{ id: number }>>(await cli(['jobs', 'list', '--status', 'cancelled', '--json']))
    t.same(one.map(j => j.id), [c.id])
    const limited = await cli(['jobs', 'list', '--status', 'queued,blocked,cancelled', '--limit', '2'])
    t.equal(limited.stdout.trim().split('\n').length, 3, 'header and --limit rows')
    t.match(limited.stderr, /showing 2 of 3/)
    await usage(t, ['jobs', 'list', '--status', 'queued,waiting'], /--status must be one or more of queued, running/)
    await usage(t, ['jobs', 'hold', 'x'], /job id must be a positive integer/)
    t.equal((await cli(['jobs', 'release', '999999'])).code, 3, 'an unknown job → 3')
  })

  t.test('rates | rates set GPU_TYPE DOLLARS', async t => {
    const list = await cli(['rates'])
    t.equal(list.code, 0, list.stderr)
    t.match(list.stdout, /GPU TYPE\s+PER GPU-HOUR/)
    t.match(list.stdout, /H100\s+4\.76 USD/)
    const set = await cli(['rates', 'set', 'H100', '5.1'])
    t.equal(set.code, 0, set.stderr)
    t.match(set.stdout, 'H100: 5.10 USD per GPU-hour')
    t.match(json<Array<{ gpu_type: string }>>(await cli(['rates', 'list', '--json'])), [{ gpu_type: String }])
    t.match((await fleet.client.listRates()).find(r => r.gpuType === 'H100'), { centsPerGpuHour: 510 })
    await usage(t, ['rates', 'set', 'H100', '4.765'], /DOLLARS must be a price per GPU-hour with at most 2 decimals/)
    await usage(t, ['rates', 'set', 'H100'], /missing required argument 'dollars'/)
    const badType = await cli(['rates', 'set', 'H100/x', '1'])
    t.equal(badType.code, 3, 'a GPU type the API refuses → 3')
    t.match(badType.stderr, /HTTP 4\d\d/)
  })

  t.test('usage TENANT [--days N]; invoices create | show | set-status', async t => {
    const tenant = await fleet.client.createTenant({ name: 'Billed', gpuQuota: 4 })
    const used = await cli(['usage', String(tenant.id), '--days', '7'])
    t.equal(used.code, 0, used.stderr)
    t.match(used.stdout, /^tenant \d+ \(Billed\), 7 days \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d\n0 GPU hours, 0\.00 USD/)
    t.match(json(await cli(['usage', String(tenant.id), '--json'])), { tenant_id: tenant.id, days: 30 })
    await usage(t, ['usage', String(tenant.id), '--days', '91'], /--days must be at most 90/)
    await usage(t, ['usage', 'Billed'], /tenant id must be a positive integer/)
    t.equal((await cli(['usage', '999999'])).code, 3, 'an unknown tenant → 3')

    const issued = await cli(['invoices', 'create', String(tenant.id), '--days', '7', '--json'])
    t.equal(issued.code, 0, issued.stderr)
    const invoice = json<{ created: boolean, invoice: { id: number, status: string } }>(issued)
    t.match(invoice, { created: true, invoice: { status: 'pending', days: 7 } })
    const again = await cli(['invoices', 'create', String(tenant.id), '--days', '7'])
    t.match(again.stdout, new RegExp(`^already issued for this period: invoice ${invoice.invoice.id}\\s+Billed`))
    const shown = await cli(['invoices', 'show', String(invoice.invoice.id)])
    t.equal(shown.code, 0, shown.stderr)
    t.match(shown.stdout, /status\s+pending\nperiod\s+\d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d \(7 days, end exclusive\)\namount\s+0\.00 USD/)
    const paid = await cli(['invoices', 'set-status', String(invoice.invoice.id), 'paid'])
    t.equal(paid.code, 0, paid.stderr)
    t.match(paid.stdout, `invoice ${invoice.invoice.id} paid`)
    t.match(await fleet.client.getInvoice(invoice.invoice.id), { status: 'paid' })
    t.match((await cli(['invoices'])).stdout, new RegExp(`${invoice.invoice.id}\\s+Billed\\s+paid`))
    await usage(t, ['invoices', 'set-status', String(invoice.invoice.id), 'settled'], /STATUS must be one of pending, paid, overdue/)
    await usage(t, ['invoices', 'create', String(tenant.id), '--days', '0'], /--days must be a positive integer/)
    t.equal((await cli(['invoices', 'show', '999999'])).code, 3, 'an unknown invoice → 3')
  })

  t.test('alerts rules set ID: threshold, enabled, webhook', async t => {
    const rules = json<Array<{ id: number, rule_type: string, threshold: number }>>(await cli(['alerts', 'rules', '--json']))
    const rule = rules.find(r => r.rule_type === 'idle_gpu') ?? rules[0]
    if (rule === undefined) throw new Error('no rules')
    const set = await cli(['alerts', 'rules', 'set', String(rule.id), '--threshold', '45', '--enabled', 'false', '--webhook', 'https://hooks.example.com/gpufleet', '--json'])
    t.equal(set.code, 0, set.stderr)
    t.match(json(set), { id: rule.id, threshold: 45, enabled: false, webhook_url: 'https://hooks.example.com/gpufleet' })
    const cleared = await cli(['alerts', 'rules', 'set', String(rule.id), '--no-webhook', '--enabled', 'true'])
    t.equal(cleared.code, 0, cleared.stderr)
    t.match(cleared.stdout, new RegExp(`rule ${rule.id} \\(${rule.rule_type}\\): enabled, threshold 45 .*webhook none`))
    t.match((await fleet.client.listAlertRules()).find(r => r.id === rule.id), { webhookUrl: null, enabled: true, threshold: 45 })
    await usage(t, ['alerts', 'rules', 'set', String(rule.id)], /nothing to set/)
    await usage(t, ['alerts', 'rules', 'set', String(rule.id), '--enabled', 'yes'], /--enabled must be one of true, false/)
    await usage(t, ['alerts', 'rules', 'set', String(rule.id), '--threshold', 'hot'], /--threshold must be a number/)
    await usage(t, ['alerts', 'rules', 'set', String(rule.id), '--webhook-format', 'slack'], /--webhook-format must be one of gpufleet, alertmanager, alertmanager-api/)
    const loopback = await cli(['alerts', 'rules', 'set', String(rule.id), '--webhook', 'http://127.0.0.1:9/hook'])
    t.equal(loopback.code, 3, 'the API refuses a loopback webhook')
    t.match(loopback.stderr, /WEBHOOK_ADDRESS_FORBIDDEN, HTTP 400/)
    t.equal((await cli(['alerts', 'rules', 'set', '999999', '--threshold', '1'])).code, 3, 'an unknown rule → 3')
  })

  t.test('--watch [SECONDS] lists again until Ctrl-C; with --json one document per line', async t => {
    const run = runCli(['clusters', '--watch', '1', '--json'], env)
    await run.waitFor(/\n[^\n]+\n/)
    await run.waitFor(/^[^\n]+\n[^\n]+\n/)
    run.child.kill('SIGINT')
    await run.exited
    const docs = run.stdout().trim().split('\n').map(line => JSON.parse(line) as Array<{ name: string }>)
    t.ok(docs.length >= 2, 'refreshed')
    for (const doc of docs) t.match(doc, [{ name: 'lab' }])
    const jobs = runCli(['jobs', 'list', '--status', 'queued,blocked', '--watch'], env)
    await jobs.waitFor(/ID\s+NAME[^]*ID\s+NAME/)
    jobs.child.kill('SIGINT')
    await jobs.exited
    t.pass('a table each refresh (default 2 s)')
    await usage(t, ['nodes', '--watch', '0'], /--watch must be a positive integer/)
    await usage(t, ['tenants', 'list', '--watch', 'often'], /--watch must be a positive integer/)
  })

  t.test('completion bash|zsh prints a script; another shell is a usage error', async t => {
    const bash = await cli(['completion', 'bash'])
    t.equal(bash.code, 0, bash.stderr)
    t.match(bash.stdout, /complete -F _gpufleet gpufleet\n$/)
    t.match(bash.stdout, /"invoices"\) words="list create show set-status --help";;/)
    const zsh = await cli(['completion', 'zsh'])
    t.match(zsh.stdout, /^#compdef gpufleet\n/)
    t.equal((await cli(['completion', 'fish'])).code, 2)
  })
})
