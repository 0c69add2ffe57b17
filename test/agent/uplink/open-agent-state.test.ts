import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openAgentState } from '../../../agent/uplink/open-agent-state.ts'

t.test('makes an agent id once and keeps it across restarts and updates', async t => {
  const dir = join(t.testdir(), 'missing', 'state')
  const first = await openAgentState(dir)
  const { agentId } = first.get()
  t.match(agentId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  t.match(first.get(), { nodeId: null, clusterId: null, hostname: null, registeredAt: null, operatorTokenKeys: [] })
  await first.update({ nodeId: 7, clusterId: 2, hostname: 'gpu-01', registeredAt: '2026-04-26T04:00:00.000Z', operatorTokenKeys: [] })

  const again = await openAgentState(dir)
  t.same(again.get(), { agentId, nodeId: 7, clusterId: 2, hostname: 'gpu-01', registeredAt: '2026-04-26T04:00:00.000Z', operatorTokenKeys: [] })
  t.same(JSON.parse(readFileSync(join(dir, 'agent-state.json'), 'utf8')), again.get(), 'plain JSON on disk')
})

t.test('an unreadable file is set aside, not fatal', async t => {
  const dir = t.testdir({ 'agent-state.json': '{"agentId": "abc", "nodeId"' })
  const warnings: string[] = []
  const state = await openAgentState(dir, { warn: (_o, msg) => { warnings.push(msg ?? '') } })
  t.match(state.get().agentId, /^[0-9a-f-]{36}$/)
  t.equal(warnings.length, 1)
  t.ok(readdirSync(dir).some(f => f.startsWith('agent-state.json.corrupt-')), 'kept for a human to look at')
})

t.test('a file from an older agent gains the missing fields and keeps its id', async t => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'agent-state.json'), JSON.stringify({ agentId: 'kept-id', nodeId: 3 }))
  const state = await openAgentState(dir)
  t.same(state.get(), { agentId: 'kept-id', nodeId: 3, clusterId: null, hostname: null, registeredAt: null, operatorTokenKeys: [] })
})
