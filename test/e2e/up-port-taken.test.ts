import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { pollUntil, runCli } from './run-cli.ts'

/** Holds a loopback port the way another server would. */
async function holdPort (t: Test): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return (server.address() as { port: number }).port
}

const noStack = (t: Test, text: string): void => {
  t.notMatch(text, /^\s+at /m, 'no stack trace')
  t.notMatch(text, /^\{/m, 'no pino JSON')
}

t.test('gpufleet up with its port taken: one line naming the port and --port, nothing created; the next start prints the key', async t => {
  const dataDir = join(t.testdir(), 'data')
  const port = await holdPort(t)
  const first = runCli(['up', '--data-dir', dataDir, '--port', String(port), '--agent-port', '0'])
  t.teardown(() => { first.child.kill('SIGKILL') })
  const exit = await first.exited
  t.equal(exit.code, 2, 'exit 2 (pick another port)')
  t.equal(first.stdout(), '', 'nothing on stdout')
  const lines = first.stderr().trim().split('\n')
  t.equal(lines.length, 1, `one line: ${first.stderr()}`)
  t.match(lines[0], new RegExp(`^gpufleet up: 127\\.0\\.0\\.1:${port} is already in use.*--port`))
  noStack(t, first.stderr())
  t.notOk(existsSync(join(dataDir, 'gpufleet.db')), 'no database was created')
  t.notOk(existsSync(dataDir), 'not even the data dir')

  // The port is free on the next start: this is the first real start, so the key is shown.
  const again = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0'])
  t.teardown(() => { again.child.kill('SIGKILL') })
  await again.waitFor(/gpufleet is up/)
  // The key follows the URL lines in the same tick; on today's main it never comes (stored by the failed start).
  t.ok(await pollUntil(async () => /gfk_[0-9a-f]{64}/.test(again.stdout()) || undefined, 5000), 'the superadmin key is printed')
  noStack(t, again.stdout())
  t.notMatch(again.stdout(), /"level"/, 'human lines only without --log-level')
  again.child.kill('SIGTERM')
  t.equal((await again.exited).code, 0)
})

t.test('gpufleet up with the agent port taken: one line naming it and --agent-port, nothing created; the next start prints the key', async t => {
  const dataDir = join(t.testdir(), 'data')
  const port = await holdPort(t)
  const run = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', String(port)])
  t.teardown(() => { run.child.kill('SIGKILL') })
  const exit = await run.exited
  t.equal(exit.code, 2)
  t.equal(run.stderr(), `gpufleet up: 127.0.0.1:${port} is already in use (another gpufleet, or another server, listens there); pick another with --agent-port\n`)
  t.equal(run.stdout(), '', 'no key printed: none was made')
  // On main before this change the control plane had started: ./data, the database and a key.
  t.notOk(existsSync(dataDir), 'no data dir, database or superadmin key')

  const again = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0'])
  t.teardown(() => { again.child.kill('SIGKILL') })
  await again.waitFor(/gpufleet is up/)
  t.ok(await pollUntil(async () => /gfk_[0-9a-f]{64}/.test(again.stdout()) || undefined, 5000), 'the first real start prints the superadmin key')
  again.child.kill('SIGTERM')
  t.equal((await again.exited).code, 0)
})

t.test('gpufleet up --port 99999 / --agent-port x name the flag', async t => {
  for (const [flag, value] of [['--port', '99999'], ['--agent-port', 'x']] as const) {
    const dataDir = join(t.testdir(), 'data')
    const run = runCli(['up', '--data-dir', dataDir, flag, value])
    const exit = await run.exited
    t.equal(exit.code, 2, `${flag} ${value}: exit 2`)
    t.match(run.stderr(), new RegExp(`^gpufleet up: ${flag} must be a port number 0\\.\\.65535, got "${value}"\\n$`))
    t.notOk(existsSync(dataDir), 'nothing created')
  }
})

t.test('gpufleet control-plane and gpufleet agent with their port taken: one line naming it and --listen, nothing created', async t => {
  const port = await holdPort(t)
  const dir = t.testdir()
  const cp = runCli(['control-plane', '--listen', `127.0.0.1:${port}`, '--db', join(dir, 'cp', 'gpufleet.db')])
  t.equal((await cp.exited).code, 2)
  t.match(cp.stderr(), new RegExp(`^gpufleet control-plane: 127\\.0\\.0\\.1:${port} is already in use.*--listen\\n$`))
  t.notOk(existsSync(join(dir, 'cp')), 'no database')

  const agent = runCli(['agent', '--simulate', '--listen', `127.0.0.1:${port}`, '--control-plane', 'http://127.0.0.1:9', '--api-key', `gfk_${'0'.repeat(64)}`,
    '--cluster', 'c', '--state-dir', join(dir, 'agent')])
  t.equal((await agent.exited).code, 2)
  t.match(agent.stderr(), new RegExp(`gpufleet agent: 127\\.0\\.0\\.1:${port} is already in use.*--listen\\n$`))
  noStack(t, agent.stderr())
  t.notOk(existsSync(join(dir, 'agent')), 'no agent state dir')
})
