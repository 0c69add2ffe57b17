import t from 'tap'
import { liveCli } from './run-cli.ts'
import { startLiveFleet } from '../sdk/live-fleet.ts'

t.test('gpufleet jobs submit … -- COMMAND: an executed job with its argv, --env and --workdir; bad flags are usage errors', async t => {
  const fleet = await startLiveFleet(t)
  const cli = liveCli(fleet)
  const base = ['jobs', 'submit', '--cluster', String(fleet.clusterId), '--name', 'train', '--json']
  const made = await cli([...base, '--env', 'EPOCHS=3', '--env', 'MSG=a=b', '--workdir', '/tmp', '--', 'sh', '-c', 'echo "$MSG" --not-a-flag'])
  t.equal(made.code, 0, made.stderr)
  const job = JSON.parse(made.stdout) as { id: number }
  t.match(await fleet.client.getJob(job.id), {
    executed: true, command: ['sh', '-c', 'echo "$MSG" --not-a-flag'], env: { EPOCHS: '3', MSG: 'a=b' }, workdir: '/tmp',
  }, 'words after -- are the argv as given, flags included')
  const alloc = await cli([...base])
  t.equal(alloc.code, 0, alloc.stderr)
  t.match(await fleet.client.getJob((JSON.parse(alloc.stdout) as { id: number }).id), { executed: false, command: null })

  for (const bad of [['--env', 'NOEQUALS', '--', 'true'], ['--env', '=x', '--', 'true'], ['--env', 'A=1'], ['--workdir', '/tmp']]) {
    const r = await cli([...base, ...bad])
    t.equal(r.code, 2, `${bad.join(' ')}: usage error`)
  }
  const refused = await cli([...base, '--env', 'PATH=/evil', '--', 'true'])
  t.not(refused.code, 0, 'the control plane refuses PATH')
  t.match(refused.stderr, /PATH/)
  t.equal((await fleet.client.listJobs({})).total, 2, 'nothing else was submitted')
})
