import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { fleetStoreSuite } from './fleet-store-suite.ts'

t.test('sqlite (in memory)', async t => {
  fleetStoreSuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite file: node events and status survive a restart', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const T0 = Date.UTC(2026, 4, 9)
  const first = await openSqliteStore(path)
  const c = (await first.fleet.createCluster({ name: 'c', region: 'r' }, T0))!
  const { node } = await first.fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
  await first.fleet.markStaleNodesOffline(T0 + 1, T0 + 90_001)
  await first.close()

  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  t.same((await second.fleet.listNodeEvents()).map(e => [e.nodeId, e.kind, e.at]), [[node.id, 'registered', T0], [node.id, 'offline', T0 + 90_001]])
  t.equal((await second.fleet.getNode(node.id))?.status, 'offline')
  t.equal((await second.fleet.createCluster({ name: 'c', region: null }, T0)), null, 'migrations ran once; data kept')
})
