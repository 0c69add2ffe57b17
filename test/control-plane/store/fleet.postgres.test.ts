import t from 'tap'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { fleetStoreSuite } from './fleet-store-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  fleetStoreSuite(t, pg.openStore)
})

t.test('postgres: node events and status survive a restart; migrations run once', async t => {
  const pg = await postgresTestDatabase(t)
  const schema = pg.freshSchema()
  const T0 = Date.UTC(2026, 4, 9)
  const first = await openPostgresStore(pg.url, { schema })
  const c = (await first.fleet.createCluster({ name: 'c', region: 'r' }, T0))!
  const { node } = await first.fleet.upsertNode({ clusterId: c.id, hostname: 'h' }, T0)
  await first.fleet.markStaleNodesOffline(T0 + 1, T0 + 90_001)
  await first.close()

  const second = await openPostgresStore(pg.url, { schema })
  t.teardown(() => second.close())
  t.same((await second.fleet.listNodeEvents()).map(e => [e.nodeId, e.kind, e.at]), [[node.id, 'registered', T0], [node.id, 'offline', T0 + 90_001]])
  t.equal((await second.fleet.getNode(node.id))?.status, 'offline')
  t.equal((await second.fleet.createCluster({ name: 'c', region: null }, T0)), null, 'migrations ran once; data kept')
})

t.test('postgres: two stores migrating one empty database at once do not race', async t => {
  const pg = await postgresTestDatabase(t)
  const schema = pg.freshSchema()
  const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(pg.url, { schema })))
  t.teardown(async () => { for (const s of stores) await s.close() })
  t.equal((await stores[0]!.fleet.listClusters()).length, 0)
})
