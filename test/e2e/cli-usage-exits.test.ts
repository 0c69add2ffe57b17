import t from 'tap'
import { runCli } from './run-cli.ts'

t.test('commander usage errors exit 2 on every command, the top level included; --help exits 0', async t => {
  for (const args of [['up', '--bogus'], ['agent', '--bogus'], ['agent', '--listen'], ['control-plane', '--bogus'], ['no-such-command']]) {
    const run = runCli(args)
    t.equal((await run.exited).code, 2, `gpufleet ${args.join(' ')}: exit 2`)
    t.match(run.stderr(), /error: (unknown|missing|option)/i, 'commander says why')
  }
  for (const args of [['--help'], ['up', '--help'], ['control-plane', '--help']]) {
    const run = runCli(args)
    t.equal((await run.exited).code, 0, `gpufleet ${args.join(' ')}: exit 0`)
  }
  const help = runCli(['control-plane', '--help'])
  await help.exited
  t.match(help.stdout(), /--session-ttl <duration>/)
  t.match(help.stdout(), /--trust-proxy \[bool\]/)
})

t.test('--trust-proxy help says right-most X-Forwarded-For, as the code reads it', async t => {
  for (const cmd of ['control-plane', 'up']) {
    const help = runCli([cmd, '--help'])
    await help.exited
    // commander wraps long descriptions: judge the text with its line breaks folded.
    const text = help.stdout().replace(/\s+/g, ' ')
    t.match(text, /--trust-proxy \[bool\](?:(?!\(env:).)*right-most X-Forwarded-For/, `${cmd}: right-most`)
    t.notMatch(text, /first X-Forwarded-For/, `${cmd}: not "first"`)
  }
})

t.test('--session-ttl: a bad duration is a usage error naming the flag (flag or env), before anything starts', async t => {
  const runs = [
    runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0', '--session-ttl', 'forever']),
    runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0'], { GPUFLEET_SESSION_TTL: '8' }),
    runCli(['up', '--data-dir', t.testdir(), '--port', '0', '--agent-port', '0', '--session-ttl', '90d']),
  ]
  for (const run of runs) {
    t.equal((await run.exited).code, 2)
    t.match(run.stderr(), /--session-ttl \(GPUFLEET_SESSION_TTL\): expected a duration from 1m to 30d such as 8h/)
    t.notMatch(run.stdout(), /gpufleet is up|listening/)
  }
  const proxy = runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0', '--trust-proxy', 'perhaps'])
  t.equal((await proxy.exited).code, 2)
  t.match(proxy.stderr(), /--trust-proxy \(GPUFLEET_TRUST_PROXY\)/)
})

t.test('--introspect-failures-per-minute (GPUFLEET_INTROSPECT_FAILURES_PER_MINUTE): documented, validated, and it sets the budget', async t => {
  const help = runCli(['control-plane', '--help'])
  await help.exited
  t.match(help.stdout(), /--introspect-failures-per-minute <n>/)
  for (const run of [
    runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0', '--introspect-failures-per-minute', '0']),
    runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0'], { GPUFLEET_INTROSPECT_FAILURES_PER_MINUTE: 'many' }),
  ]) {
    t.equal((await run.exited).code, 2)
    t.match(run.stderr(), /--introspect-failures-per-minute \(GPUFLEET_INTROSPECT_FAILURES_PER_MINUTE\)/)
    t.notMatch(run.stderr(), /listening/)
  }
  const admin = `gfk_${'5'.repeat(64)}`
  const cp = runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0'], { GPUFLEET_ADMIN_KEY: admin, GPUFLEET_INTROSPECT_FAILURES_PER_MINUTE: '2' })
  t.teardown(() => { cp.child.kill('SIGTERM') })
  const url = (await cp.waitForStderr(/listening on (http:\/\/\S+)/))[1]
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${url}/api/auth/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: `gfk_${String(i).repeat(64)}` }),
    })
    statuses.push(res.status)
  }
  t.same(statuses, [200, 200, 429], 'two inactive answers, then the budget from the env twin is spent')
  cp.child.kill('SIGTERM')
  await cp.exited
})
