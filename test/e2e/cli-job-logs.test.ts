import t from 'tap'
import { runCli, liveCli } from './run-cli.ts'
import { eventually, startLiveFleet } from '../sdk/live-fleet.ts'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { agentJobLogsPath } from '../../shared/wire/job-execution.ts'

t.test('gpufleet jobs logs [--tail N] [-f] and the SDK against a live control plane', async t => {
  const fleet = await startLiveFleet(t)
  const cli = liveCli(fleet)
  const env = cli.env

  // An agent's view: its cluster key registers the node by pushing an idle GPU.
  const agentKey = (await fleet.client.createApiKey({ label: 'lab agents', permissions: ['ingest'], clusterId: fleet.clusterId })).key
  const agent = new ControlPlaneClient({ baseUrl: fleet.cpUrl, apiKey: agentKey })
  t.teardown(() => agent.close())
  await agent.ingestGpuStats({
    node: { hostname: 'edge-01', cluster: 'lab' },
    gpus: [{ gpuId: 0, name: 'NVIDIA H100 80GB HBM3', utilizationPct: 0, memoryUsedMb: 0, memoryTotalMb: 81920, tempC: 40, powerDrawW: 90 }],
  })
  const submitted = await fleet.client.submitJob({ clusterId: fleet.clusterId, name: 'printer' })
  const job = await eventually(async () => {
    const j = await fleet.client.getJob(submitted.id)
    return j.status === 'running' ? j : undefined
  }, 30_000)
  const run = Date.parse(job.startedAt as string)
  let offset = 0
  const upload = async (text: string) => {
    const res = await fetch(`${fleet.cpUrl}${agentJobLogsPath(job.id)}?hostname=edge-01&run=${run}&offset=${offset}`, {
      method: 'POST', headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/octet-stream' }, body: text,
    })
    const body = await res.json() as { offset: number }
    t.equal(res.status, 200, JSON.stringify(body))
    offset = body.offset
  }
  await upload('hello\nworld\n')

  const all = await cli(['jobs', 'logs', String(job.id)])
  t.equal(all.code, 0, all.stderr)
  t.equal(all.stdout, 'hello\nworld\n')
  t.equal((await cli(['jobs', 'logs', String(job.id), '--tail', '1'])).stdout, 'world\n')
  t.equal((await cli(['jobs', 'logs', String(job.id), '--tail', '0'])).code, 2, 'a bad --tail is a usage error')
  t.equal((await cli(['jobs', 'logs', String(job.id), '--tail', '10001'])).code, 2)
  const unknown = await cli(['jobs', 'logs', '999999'])
  t.equal(unknown.code, 3, 'an unknown job is rejected (404)')
  t.match(unknown.stderr, /JOB_NOT_FOUND/)
  t.same(await fleet.client.getJobLog(job.id, { tail: 1 }), { text: 'world\n', truncatedBytes: 0 }, 'the SDK')
  await t.rejects(fleet.client.getJobLog(999999), { code: 'JOB_NOT_FOUND', statusCode: 404 })
  await t.rejects(fleet.client.getJobLog(job.id, { tail: 0 }), { code: 'GPUFLEET_ERR_INVALID_ARG' })
  const followed = await fleet.client.streamJobLog(job.id, { follow: true })
  const seen: string[] = []
  for await (const bytes of followed) {
    seen.push(bytes.toString())
    if (seen.join('').includes('world\n')) followed.cancel()
  }
  t.equal(seen.join(''), 'hello\nworld\n', 'a follow the caller cancels ends the loop quietly')

  const follow = runCli(['jobs', 'logs', String(job.id), '-f'], env)
  await follow.waitFor(/world\n/)
  await upload('more\n')
  await follow.waitFor(/more\n/)
  await fleet.client.request('PATCH', `/api/jobs/${job.id}`, { body: { status: 'completed' } })
  await upload('exit 0\n')
  const { code } = await follow.exited
  t.equal(code, 0, follow.stderr())
  t.equal(follow.stdout(), 'hello\nworld\nmore\nexit 0\n', 'everything, once, and it ended with the job')
})
