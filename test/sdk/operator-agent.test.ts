import t from 'tap'
import { ApiError, InvalidArgumentError, NodeLookupError } from '../../shared/sdk/index.ts'
import { eventually, startLiveFleet } from './live-fleet.ts'

t.test('operatorAgent(hostname): the SDK mints a token for one node and action; the key stays with the control plane', async t => {
  const fleet = await startLiveFleet(t, { agent: true })
  const memory = await eventually(async () => {
    const agent = await fleet.client.operatorAgent('edge-01', { actions: ['memory'], ttlS: 60 })
    try { return await agent.getGPUMemory() } finally { await agent.close() }
  }, 60_000)
  t.equal(memory.memory.length, 8)
  const agent = await fleet.client.operatorAgent('edge-01', { actions: ['memory'] })
  t.teardown(() => agent.close())
  t.equal(agent.baseUrl, fleet.agentUrl, 'the node\'s registered agent_url')
  const refused = await agent.getGPUStatus().catch((err: unknown) => err)
  t.ok(refused instanceof ApiError && refused.statusCode === 403 && refused.code === 'FORBIDDEN', 'the token allows memory only')

  const node = await fleet.client.findNode('edge-01')
  const minted = await fleet.client.mintOperatorToken(node.id, { scope: 'cluster' })
  t.match(minted, { tokenType: 'Bearer', expiresIn: 300, audience: `gpufleet:cluster:${fleet.clusterId}`, node: { hostname: 'edge-01', agentUrl: fleet.agentUrl } })
  const byId = await fleet.client.operatorAgent(node.id)
  t.teardown(() => byId.close())
  t.equal((await byId.getGPUStatus()).totalGpus, 8, 'by node id, every action')

  const missing = await fleet.client.operatorAgent('nope').catch((err: unknown) => err)
  t.ok(missing instanceof NodeLookupError && missing.code === NodeLookupError.NOT_FOUND)
  await t.rejects(fleet.client.mintOperatorToken(0), InvalidArgumentError)
  await t.rejects(fleet.client.mintOperatorToken(node.id, { ttlS: 301 }), { code: 'VALIDATION_FAILED', statusCode: 400 })
})
