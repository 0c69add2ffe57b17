import t from 'tap'
import { liveCli, type Ran } from './run-cli.ts'
import { startLiveFleet } from '../sdk/live-fleet.ts'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'

t.test('gpufleet nodes history NODE [--range R] [--gpu N]', async t => {
  const fleet = await startLiveFleet(t)
  const cli = liveCli(fleet)
  const agentKey = (await fleet.client.createApiKey({ label: 'lab agents', permissions: ['ingest'], clusterId: fleet.clusterId })).key
  const agent = new ControlPlaneClient({ baseUrl: fleet.cpUrl, apiKey: agentKey })
  t.teardown(() => agent.close())
  const at = Date.now() - 30_000
  for (const [i, util] of [50, 70].entries()) {
    await agent.ingestGpuStats({
      node: { hostname: 'edge-01', cluster: 'lab' },
      gpus: [0, 1].map(gpuId => ({ gpuId, recordedAt: new Date(at + i * 1000).toISOString(), name: 'NVIDIA H100 80GB HBM3', utilizationPct: util + gpuId, memoryUsedMb: 2048, memoryTotalMb: 81920, tempC: 60, powerDrawW: 300 })),
    })
  }
  const human = await cli(['nodes', 'history', 'edge-01', '--range', '1h'])
  t.equal(human.code, 0, human.stderr)
  t.match(human.stdout, /^node \d+ \(edge-01\), last 1h in 1-minute steps\nGPU\s+MODEL\s+UTIL AVG %\s+UTIL MAX %/)
  // No history pass has run yet: the range ends in each GPU's newest reading (docs/api.md), not
  // an average of the rows since the last pass, so one sample: the second push's.
  t.match(human.stdout, /\n0\s+NVIDIA H100 80GB HBM3\s+70\s+70\s+60\s+60\s+2\s+300\s+300\s+1\n1\s+NVIDIA H100 80GB HBM3\s+71\s+71/)
  const one = await cli(['nodes', 'history', 'edge-01', '--gpu', '1', '--json'])
  t.equal(one.code, 0, one.stderr)
  const body = JSON.parse(one.stdout) as { node_id: number, range: string, gpus: Array<{ gpu_index: number }> }
  t.match(body, { range: '24h', hostname: 'edge-01' })
  t.same(body.gpus.map(g => g.gpu_index), [1])
  const usage = async (args: string[], says: RegExp) => {
    const r: Ran = await cli(args)
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, says)
  }
  await usage(['nodes', 'history', 'edge-01', '--range', '2h'], /--range must be one of 1h, 24h, 7d, 30d/)
  await usage(['nodes', 'history', 'edge-01', '--gpu', 'x'], /--gpu must be a GPU index/)
  const missing = await cli(['nodes', 'history', 'edge-01', '--gpu', '5'])
  t.equal(missing.code, 3, 'no such GPU: the API says 404')
  t.match(missing.stderr, /GPU_NOT_FOUND, HTTP 404/)
  const byId = await cli(['nodes', 'history', String(body.node_id), '--range', '1h', '--json'])
  t.equal(byId.code, 0, byId.stderr)
  t.match(JSON.parse(byId.stdout), { node_id: body.node_id, hostname: 'edge-01' }, 'NODE: an id names the same node')
  const nowhere = await cli(['nodes', 'history', 'nowhere'])
  t.equal(nowhere.code, 3, 'an unknown hostname: exit 3')
  t.equal(nowhere.stderr, 'gpufleet: error: no node with hostname "nowhere" is registered with the control plane (gpufleet nodes lists them)\n', 'naming it, without --node\'s hint')
})
