import t from 'tap'
import { spawnWithGrace } from '../../../agent/collector/spawn-with-grace.ts'

t.test('output is piped and the exit status reported once the process is gone', async t => {
  const run = spawnWithGrace('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'], { killGraceMs: 1000 })
  let out = ''
  let err = ''
  run.child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  run.child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  t.same(await run.exited, { exitCode: 3, signal: null, error: null, abandoned: false })
  t.equal(out, 'out\n')
  t.equal(err, 'err\n')
})

t.test('kill: SIGTERM first, SIGKILL after the grace when it is ignored', async t => {
  const polite = spawnWithGrace('/bin/sh', ['-c', 'exec sleep 30'], { killGraceMs: 5000 })
  polite.kill()
  t.match(await polite.exited, { signal: 'SIGTERM' })
  const stubborn = spawnWithGrace('/bin/sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { killGraceMs: 100 })
  await new Promise(resolve => stubborn.child.stdout.once('data', resolve))
  stubborn.kill()
  stubborn.kill() // idempotent
  t.match(await stubborn.exited, { signal: 'SIGKILL' })
})

t.test('a binary that is not there: the spawn error, no exit status', async t => {
  const run = spawnWithGrace('/nonexistent/nvidia-smi', [], { killGraceMs: 100 })
  const exit = await run.exited
  t.equal(exit.error?.code, 'ENOENT')
  t.same({ exitCode: exit.exitCode, signal: exit.signal }, { exitCode: null, signal: null })
})

t.test('a child that SIGKILL does not end (stuck in the driver) is abandoned after the wait: pipes closed, nothing awaits it', async t => {
  // The kernel's part is played by the signal seam: SIGTERM and SIGKILL are queued, as for a
  // process in uninterruptible sleep, and delivered for real when the test ends.
  const queued: NodeJS.Signals[] = []
  let fire: Array<() => void> = []
  const timers = {
    setTimeout: (fn: () => void) => { fire.push(fn); return fire.length },
    clearTimeout: () => {},
  }
  const run = spawnWithGrace('/bin/sh', ['-c', 'echo ready; exec sleep 600'], {
    killGraceMs: 2000, abandonAfterMs: 5000, timers, signalChild: (_child, signal) => { queued.push(signal) },
  })
  t.teardown(() => { run.child.kill('SIGKILL') })
  await new Promise(resolve => run.child.stdout.once('data', resolve))
  run.kill()
  const step = (): void => { const f = fire; fire = []; for (const fn of f) fn() }
  step() // the grace is over: SIGKILL
  step() // the abandon wait is over
  const exit = await run.exited
  t.same(exit, { exitCode: null, signal: null, error: null, abandoned: true })
  t.same(queued, ['SIGTERM', 'SIGKILL'])
  t.equal(run.child.exitCode, null, 'the process itself is still there')
  t.ok(run.child.stdout.destroyed, 'its pipe is closed on our side')
})
