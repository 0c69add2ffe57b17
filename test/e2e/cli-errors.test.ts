import t from 'tap'
import { runCli } from './run-cli.ts'

t.test('agent: missing nvidia-smi is a clear error naming the path and the flag, exit 1', async t => {
  const run = runCli(['agent', '--nvidia-smi', '/nonexistent/bin/nvidia-smi', '--state-dir', t.testdir(), '--listen', '127.0.0.1:0'])
  const { code } = await run.exited
  t.equal(code, 1)
  t.match(run.stderr(), /\/nonexistent\/bin\/nvidia-smi/)
  t.match(run.stderr(), /--nvidia-smi/)
})

t.test('agent: invalid flag value → exit 2 naming the flag', async t => {
  const run = runCli(['agent', '--interval-ms', 'soon', '--state-dir', t.testdir()])
  t.equal((await run.exited).code, 2)
  t.match(run.stderr(), /--interval-ms/)
})

t.test('agent: env twin is read, and a flag wins over it', async t => {
  const fromEnv = runCli(['agent', '--state-dir', t.testdir(), '--listen', '127.0.0.1:0'], { GPUFLEET_NVIDIA_SMI: '/from/env/nvidia-smi' })
  t.equal((await fromEnv.exited).code, 1)
  t.match(fromEnv.stderr(), /\/from\/env\/nvidia-smi/)
  const flagWins = runCli(['agent', '--nvidia-smi', '/from/flag/nvidia-smi', '--state-dir', t.testdir(), '--listen', '127.0.0.1:0'], { GPUFLEET_NVIDIA_SMI: '/from/env/nvidia-smi' })
  t.equal((await flagWins.exited).code, 1)
  t.match(flagWins.stderr(), /\/from\/flag\/nvidia-smi/)
  t.notMatch(flagWins.stderr(), /\/from\/env/)
})

t.test('control-plane: bad config → exit 2 naming the option; bad admin key not echoed', async t => {
  const pg = runCli(['control-plane', '--db', 'postgres://:s3cret@/gpufleet'])
  t.equal((await pg.exited).code, 2)
  t.match(pg.stderr(), /--db/)
  t.notMatch(pg.stderr(), /s3cret/, 'a database URL (it may hold a password) is not echoed')
  const bad = runCli(['control-plane', '--db', ':memory:', '--listen', '127.0.0.1:0'], { GPUFLEET_ADMIN_KEY: 'gfk_short-secret' })
  t.equal((await bad.exited).code, 2)
  t.match(bad.stderr(), /GPUFLEET_ADMIN_KEY/)
  t.notMatch(bad.stderr(), /short-secret/, 'the secret is not echoed')
})
