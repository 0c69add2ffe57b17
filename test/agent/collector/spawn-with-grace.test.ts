import t from 'tap'
import { spawnWithGrace } from '../../../agent/collector/spawn-with-grace.ts'

t.test('output is piped and the exit status reported once the process is gone', async t => {
  const run = spawnWithGrace('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'], { killGraceMs: 1000 })
  let out = ''
  let err = ''
  run.child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  run.child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  t.same(await run.exited, { exitCode: 3, signal: null, error: null })
  t.equal(out, 'out\n')
  t.equal(err, 'err\n')
})

t.test('kill: SIGTERM first, SIGKILL after the grace when it is ignored', async t => {
  const polite = spawnWithGrace('/bin/sh', ['-c', 'sleep 30'], { killGraceMs: 5000 })
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
