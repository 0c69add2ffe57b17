import t from 'tap'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { fleetStoreSuite, fleetSurvivesRestart } from './fleet-store-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  fleetStoreSuite(t, pg.openStore)
})

t.test('postgres: node events and status survive a restart; migrations run once', async t => {
  const pg = await postgresTestDatabase(t)
  const schema = pg.freshSchema()
  await fleetSurvivesRestart(t, () => openPostgresStore(pg.url, { schema }))
})

t.test('postgres: two stores migrating one empty database at once do not race', async t => {
  const pg = await postgresTestDatabase(t)
  const schema = pg.freshSchema()
  const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore(pg.url, { schema })))
  t.teardown(async () => { for (const s of stores) await s.close() })
  t.equal((await stores[0]!.fleet.listClusters()).length, 0)
})

t.test('postgres: replicas starting at once on a schema that does not exist yet all open (CREATE SCHEMA races)', async t => {
  const pg = await postgresTestDatabase(t)
  for (let round = 0; round < 8; round++) {
    const schema = pg.freshSchema()
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(pg.url, { schema })))
    for (const s of stores) await s.close()
  }
  t.pass('32 stores opened on 8 fresh schemas, four at a time')
})
