import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runCli } from './run-cli.ts'
import { JOB_USER_ARGS } from './up-system.ts'

const HOLD = resolve(import.meta.dirname, 'hold-after-ready.ts')

/**
 * Starts `args`, which prints `ready` on stream `on`; the process is held inside that write
 * (hold-after-ready.ts) while the test sends `signal`, then let go. Its exit and output come back.
 */
async function signalAtReady (dir: string, args: string[], on: 'stdout' | 'stderr', ready: string, signal: NodeJS.Signals, env: NodeJS.ProcessEnv = {}) {
  const release = join(dir, `release-${args[0]}-${signal}`)
  const run = runCli(args, { ...env, GPUFLEET_TEST_HOLD_AFTER: ready, GPUFLEET_TEST_RELEASE: release }, ['--import', HOLD])
  try {
    const seen = new RegExp(ready.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    await (on === 'stdout' ? run.waitFor(seen) : run.waitForStderr(seen))
    run.child.kill(signal)
    writeFileSync(release, '')
    return { exit: await run.exited, stdout: run.stdout(), stderr: run.stderr() }
  } finally {
    run.child.kill('SIGKILL')
  }
}

/**
 * The signal lands while `up` is still inside the write of its ready line, the moment
 * up.test.ts's second start hit now and then on a loaded host. On main before this change the
 * handlers were installed after that write, so the default action killed the process.
 */
t.test('gpufleet up: SIGTERM or SIGINT the instant "gpufleet is up" appears is the graceful stop', async t => {
  const dir = t.testdir()
  const dataDir = join(dir, 'data')
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const { exit, stdout, stderr } = await signalAtReady(dir, ['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0', ...JOB_USER_ARGS], 'stdout', 'gpufleet is up', signal)
    t.same(exit, { code: 0, signal: null }, `${signal}: stopped by its handler, exit 0, not killed by the signal`)
    t.match(stderr, new RegExp(`gpufleet up: ${signal}, stopping`), `${signal}: the stopping line`)
    // The first start's key follows the ready line: the signal must not cut it off.
    if (signal === 'SIGTERM') t.match(stdout, /gfk_[0-9a-f]{64}/, 'the superadmin key after the ready line is still printed')
  }
})

/** The same race in the two servers `up` combines: their ready line is "… listening on" (stderr). */
t.test('gpufleet control-plane and gpufleet agent: SIGTERM the instant "listening on" appears is the graceful stop', async t => {
  const dir = t.testdir()
  const cp = await signalAtReady(dir, ['control-plane', '--listen', '127.0.0.1:0', '--db', join(dir, 'cp', 'gpufleet.db')], 'stderr', 'gpufleet control plane listening on', 'SIGTERM')
  t.same(cp.exit, { code: 0, signal: null }, 'control-plane: exit 0, not killed by the signal')
  t.match(cp.stderr, /gpufleet control-plane: SIGTERM, stopping/)
  t.match(cp.stderr, /gfk_[0-9a-f]{64}/, 'the superadmin key after the ready line is still printed')

  const agent = await signalAtReady(dir, ['agent', '--simulate', '--listen', '127.0.0.1:0', '--control-plane', 'http://127.0.0.1:9', '--api-key', `gfk_${'0'.repeat(64)}`,
    '--cluster', 'c', '--state-dir', join(dir, 'agent'), ...JOB_USER_ARGS], 'stderr', 'gpufleet agent listening on', 'SIGTERM')
  t.same(agent.exit, { code: 0, signal: null }, 'agent: exit 0, not killed by the signal')
  t.match(agent.stderr, /gpufleet agent: SIGTERM, stopping/)
})
