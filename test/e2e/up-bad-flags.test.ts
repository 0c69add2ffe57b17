import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from './run-cli.ts'

/**
 * A bad flag of `up` is one line naming it, exit 2, and nothing created. On main before this
 * change the agent-side flags were checked only after the control plane had started: ./data,
 * the database, the local agent key and a superadmin key printed for a start that then failed.
 */
t.test('gpufleet up with a bad agent-side or control-plane flag: one line naming it, exit 2, no data dir, no key', async t => {
  const cases: Array<{ args: string[], env?: NodeJS.ProcessEnv, line: RegExp }> = [
    { args: ['--job-kill-grace', 'nonsense'], line: /^gpufleet up: --job-kill-grace: expected a duration such as 30s or 2m, got "nonsense"$/ },
    { args: ['--job-kill-grace', '2h'], line: /^gpufleet up: --job-kill-grace: must be at most 3600s$/ },
    { args: ['--job-user', 'x y!'], line: /^gpufleet up: --job-user: expected a user name from \/etc\/passwd, got "x y!"$/ },
    { args: ['--nvidia-smi', ''], line: /^gpufleet up: --nvidia-smi: must not be empty$/ },
    // The env twin takes the same path as the flag.
    { args: [], env: { GPUFLEET_JOB_KILL_GRACE: 'soon' }, line: /^gpufleet up: --job-kill-grace: expected a duration such as 30s or 2m, got "soon"$/ },
    // A control-plane flag reads the same way: up's operator need not know which half reads it.
    { args: ['--session-ttl', 'forever'], line: /^gpufleet up: --session-ttl \(GPUFLEET_SESSION_TTL\): expected a duration/ },
  ]
  const dir = t.testdir()
  for (const [i, { args, env, line }] of cases.entries()) {
    const name = `${args.join(' ')}${env === undefined ? '' : JSON.stringify(env)}`
    const dataDir = join(dir, `data-${i}`)
    const run = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0', ...args], env)
    t.teardown(() => { run.child.kill('SIGKILL') })
    t.equal((await run.exited).code, 2, `${name}: exit 2`)
    const lines = run.stderr().split('\n').filter(l => l !== '')
    t.equal(lines.length, 1, `${name}: one line: ${run.stderr()}`)
    t.match(lines[0], line, `${name}: names the flag`)
    t.equal(run.stdout(), '', `${name}: nothing on stdout (no superadmin key)`)
    t.notOk(existsSync(dataDir), `${name}: no data dir, database or local agent key`)
  }
})
