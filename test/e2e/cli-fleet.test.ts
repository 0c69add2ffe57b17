import t from 'tap'
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { GPUFLEET, liveCli, type Ran } from './run-cli.ts'
import { closedUrl } from '../helpers/closed-url.ts'
import { eventually, startLiveFleet } from '../sdk/live-fleet.ts'

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `input`; output is the terminal's. */
async function inTerminal (args: string[], input: string, env: Record<string, string | undefined>): Promise<Ran> {
  const command = [process.execPath, GPUFLEET, ...args].map(a => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
  const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; printf "$0" | script -qec "$1" /dev/null', input, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', c => resolve(c)))
  return { code, stdout, stderr }
}

t.test('gpufleet operator commands as real processes against a live control plane and agent', async t => {
  const fleet = await startLiveFleet(t, { agent: true })
  // Never the developer's own ~/.config: every run gets an empty XDG_CONFIG_HOME unless told.
  const cli = liveCli(fleet)
  const base = cli.env

  t.test('keys create | list | revoke; a revoked key exits 4 with a hint', async t => {
    const created = await cli(['keys', 'create', '--label', 'ci-bot', '--permissions', 'read', '--json'])
    t.equal(created.code, 0, created.stderr)
    const key = JSON.parse(created.stdout) as { id: number, key: string, key_prefix: string }
    t.match(key, { key: /^gfk_/, permissions: ['read'] }, '--json prints the API\'s snake_case JSON')
    const human = await cli(['keys', 'create', '--label', 'person'])
    t.match(human.stdout, /^gfk_[0-9a-f]+\n$/, 'for people: the key alone on stdout')
    t.match(human.stderr, /shown only once/)
    const list = await cli(['keys', 'list'])
    t.equal(list.code, 0)
    t.match(list.stdout, /ID\s+PREFIX\s+LABEL\s+PERMISSIONS/)
    t.match(list.stdout, new RegExp(`${key.key_prefix}\\s+ci-bot\\s+read`))
    t.notOk(list.stdout.includes(key.key), 'never the key itself')
    t.equal((await cli(['clusters'], { GPUFLEET_API_KEY: key.key })).code, 0, 'the new read key works')
    t.equal((await cli(['keys', 'revoke', String(key.id)])).code, 0)
    const denied = await cli(['clusters'], { GPUFLEET_API_KEY: key.key })
    t.equal(denied.code, 4, 'auth failure → exit 4')
    t.match(denied.stderr, /UNAUTHORIZED, HTTP 401.*check --api-key or GPUFLEET_API_KEY/)
    const bound = await cli(['keys', 'create', '--label', 'lab agents, rotated', '--cluster', String(fleet.clusterId), '--json'])
    t.equal(bound.code, 0, bound.stderr)
    t.match(JSON.parse(bound.stdout), { permissions: ['ingest'], cluster_id: fleet.clusterId }, '--cluster binds an agent key')
    const unbound = await cli(['keys', 'create', '--label', 'fleet pusher', '--permissions', 'ingest'])
    t.match(unbound.stderr, /unbound: acts for any cluster/, 'an unbound ingest key says so')
    t.equal((await cli(['keys', 'create', '--label', 'x', '--cluster', 'lab'])).code, 2, '--cluster takes an id')
    const listed = await cli(['keys', 'list'])
    t.match(listed.stdout, /PERMISSIONS\s+TENANT\s+CLUSTER/)
    t.match(listed.stdout, new RegExp(`lab agents, rotated\\s+ingest\\s+-\\s+${fleet.clusterId}\\s`), 'the binding is listed')
    t.match(listed.stdout, /fleet pusher\s+ingest\s+-\s+unbound\s/)
    t.equal((await cli(['keys', 'revoke', 'abc'])).code, 2, 'a bad id is a usage error')
    t.equal((await cli(['keys', 'revoke', '999999'])).code, 3, 'an unknown key is rejected (404)')
  })

  t.test('config file, environment and flags: flag > env > file', async t => {
    const none = await cli(['clusters'], { GPUFLEET_API_KEY: undefined, GPUFLEET_URL: undefined })
    t.equal(none.code, 2, 'no key anywhere → usage')
    t.match(none.stderr, /no API key: pass --api-key, set GPUFLEET_API_KEY, or put "api_key" in .*gpufleet\/config\.json/)
    const xdg = t.testdir()
    mkdirSync(join(xdg, 'gpufleet'))
    const file = join(xdg, 'gpufleet', 'config.json')
    writeFileSync(file, JSON.stringify({ url: fleet.cpUrl, api_key: fleet.rootKey }))
    chmodSync(file, 0o600)
    const fromFile = await cli(['clusters', '--json'], { XDG_CONFIG_HOME: xdg, GPUFLEET_API_KEY: undefined, GPUFLEET_URL: undefined })
    t.equal(fromFile.code, 0, fromFile.stderr)
    t.match(JSON.parse(fromFile.stdout), [{ name: 'lab', node_count: Number }])
    t.equal(fromFile.stderr, '', 'a private config file: no warning')
    const envWins = await cli(['clusters'], { XDG_CONFIG_HOME: xdg, GPUFLEET_API_KEY: 'gfk_wrong', GPUFLEET_URL: undefined })
    t.equal(envWins.code, 4, 'the environment beats the file')
    const flagWins = await cli(['clusters', '--api-key', fleet.rootKey], { XDG_CONFIG_HOME: xdg, GPUFLEET_API_KEY: 'gfk_wrong', GPUFLEET_URL: undefined })
    t.equal(flagWins.code, 0, 'the flag beats the environment')
    const named = join(t.testdir(), 'other.json')
    writeFileSync(named, JSON.stringify({ url: fleet.cpUrl, api_key: fleet.rootKey }))
    chmodSync(named, 0o644)
    const viaFlag = await cli(['tenants', '--config', named], { GPUFLEET_API_KEY: undefined, GPUFLEET_URL: undefined })
    t.equal(viaFlag.code, 0)
    t.match(viaFlag.stderr, /readable by others: chmod 600/)
    t.equal((await cli(['tenants', '--config', join(xdg, 'missing.json')])).code, 2, 'a named config file must exist')
    writeFileSync(named, JSON.stringify({ url: fleet.cpUrl, apikey: 'x' }))
    const unknownKey = await cli(['tenants', '--config', named])
    t.equal(unknownKey.code, 2)
    t.match(unknownKey.stderr, /unknown key\(s\) apikey/)
  })

  t.test('jobs submit | list | show (why pending) | cancel', async t => {
    const submitted = await cli(['jobs', 'submit', '--cluster', String(fleet.clusterId), '--name', 'huge', '--gpus', '64', '--json'])
    t.equal(submitted.code, 0, submitted.stderr)
    const job = JSON.parse(submitted.stdout) as { id: number, status: string, pending_reason: string }
    t.match(job, { status: 'blocked', pending_reason: 'NEVER_FITS_CLUSTER' })
    const show = await cli(['jobs', 'show', String(job.id)])
    t.equal(show.code, 0)
    t.match(show.stdout, /pending\s+NEVER_FITS_CLUSTER: its cluster has fewer matching GPUs than it asks for/)
    const list = await cli(['jobs', 'list'])
    t.match(list.stdout, new RegExp(`${job.id}\\s+huge\\s+blocked\\s+NEVER_FITS_CLUSTER\\s+64`))
    t.match((await cli(['jobs', 'cancel', String(job.id)])).stdout, `job ${job.id} cancelled`)
    const again = await cli(['jobs', 'show', '999999'])
    t.equal(again.code, 3, 'not found → rejected (3)')
    t.match(again.stderr, /HTTP 404/)
    const invalid = await cli(['jobs', 'submit', '--cluster', String(fleet.clusterId), '--name', 'x', '--gpus', 'lots'])
    t.equal(invalid.code, 2)
    t.match(invalid.stderr, /--gpus must be a positive integer/)
    t.equal((await cli(['jobs', 'submit', '--name', 'x'])).code, 2, 'a missing required flag → 2')
    t.equal((await cli(['jobs', 'frobnicate'])).code, 2, 'an unknown subcommand → 2')
    const rejected = await cli(['jobs', 'submit', '--cluster', '424242', '--name', 'x'])
    t.equal(rejected.code, 3, 'the server says no → 3')
  })

  t.test('gpu status | memory | purge through the agent', async t => {
    const node = ['--node', fleet.agentUrl]
    let last = ''
    await eventually(async () => {
      const r = await cli(['gpu', 'status', ...node, '--json'])
      last = `${r.code} ${r.stderr} ${r.stdout.slice(0, 200)}`
      const body = r.code === 0 ? JSON.parse(r.stdout) as { total_gpus: number, processes: unknown[] } : undefined
      return body !== undefined && body.processes.length > 0 ? body : undefined
    }).catch(err => { t.fail(`${String(err)}: ${last}`) })
    const status = await cli(['gpu', 'status', ...node])
    t.match(status.stdout, /GPU\s+NAME\s+UTIL%/)
    t.match(status.stdout, /ollama/)
    const memory = await cli(['gpu', 'memory', ...node])
    t.match(memory.stdout, /^GPU 0: 40GB \/ [\d.]+GB \([\d.]+%\)$/m)
    t.equal(memory.stdout.trim().split('\n').length, 8)
    const refused = await cli(['gpu', 'purge', ...node])
    t.equal(refused.code, 2, 'no TTY and no --yes → refuse, exit 2')
    t.match(refused.stderr, /pass --yes/)
    t.equal((await cli(['gpu', 'memory'])).code, 2, 'no --node → usage')
    if (existsSync('/usr/bin/script')) {
      const declined = await inTerminal(['gpu', 'purge', ...node], 'n\n', base)
      t.equal(declined.code, 1, 'on a terminal it asks; "n" does nothing')
      t.match(declined.stdout, /Purge http:\/\/127\.0\.0\.1:\d+: unload idle models and clear GPU memory\? \[y\/N\]/)
      t.match(declined.stdout, /purge not confirmed; nothing was done/)
      t.match((await cli(['gpu', 'memory', ...node])).stdout, /^GPU 0: 40GB/, 'nothing was purged')
    } else t.comment('no util-linux script(1): the terminal prompt is not exercised')
    const purged = await cli(['gpu', 'purge', ...node, '--yes'])
    t.equal(purged.code, 0, purged.stderr)
    t.match(purged.stdout, /^Freed 40GB \(used 40GB → 0GB of [\d.]+GB\)\nUnloaded models: qwen-3\.5-27b\n/)
    t.match(purged.stdout, /GPU memory cleared successfully/)
  })

  t.test('gpu status | memory | purge --node HOSTNAME: resolved by the control plane, a token to the agent', async t => {
    const node = ['--node', 'edge-01']
    let last = ''
    await eventually(async () => {
      const r = await cli(['gpu', 'status', ...node, '--json'])
      last = `${r.code} ${r.stderr}`
      return r.code === 0 ? JSON.parse(r.stdout) as { total_gpus: number } : undefined
    }).catch(err => { t.fail(`${String(err)}: ${last}`) })
    const status = await cli(['gpu', 'status', ...node])
    t.equal(status.code, 0, status.stderr)
    t.match(status.stdout, /8 GPUs on edge-01/)
    const memory = await cli(['gpu', 'memory', ...node])
    t.equal(memory.code, 0, memory.stderr)
    t.equal(memory.stdout.trim().split('\n').length, 8)
    const purged = await cli(['gpu', 'purge', ...node, '--yes', '--json'])
    t.equal(purged.code, 0, purged.stderr)
    t.match(JSON.parse(purged.stdout), { status: String, memory_freed_gb: Number })
    const unknown = await cli(['gpu', 'status', '--node', 'no-such-host'])
    t.equal(unknown.code, 3, 'an unknown hostname is rejected (3)')
    t.match(unknown.stderr, /no node with hostname "no-such-host"/)
    const admin = await cli(['keys', 'create', '--label', 'not-an-operator', '--permissions', 'admin', '--json'])
    const adminKey = (JSON.parse(admin.stdout) as { key: string }).key
    const refused = await cli(['gpu', 'memory', ...node], { GPUFLEET_API_KEY: adminKey })
    t.equal(refused.code, 4, 'only a superadmin key mints operator tokens')
    t.match(refused.stderr, /FORBIDDEN, HTTP 403/)
  })

  t.test('listings: clusters, nodes, tenants, invoices, alerts, regions', async t => {
    const runs = await Promise.all([['clusters'], ['nodes'], ['tenants'], ['invoices'], ['alerts'], ['alerts', 'rules'], ['regions']].map(a => cli(a)))
    for (const r of runs) t.equal(r.code, 0, r.stderr)
    const [clusters, nodes, , , events, rules, regions] = runs.map(r => r?.stdout ?? '')
    t.match(clusters, /ID\s+NAME\s+REGION\s+NODES\s+GPUS/)
    t.match(nodes, /edge-01\s+lab\s+online\s+8/)
    t.match(events, /no alert events|ID\s+STATUS/)
    t.match(rules, /idle_gpu/)
    t.match(regions, /yto-01/)
  })

  t.test('an unreachable control plane exits 1 and names the flag to check', async t => {
    const down = await cli(['clusters'], { GPUFLEET_URL: await closedUrl() })
    t.equal(down.code, 1)
    t.match(down.stderr, /GPUFLEET_ERR_NETWORK.*check --url or GPUFLEET_URL/)
  })
})
