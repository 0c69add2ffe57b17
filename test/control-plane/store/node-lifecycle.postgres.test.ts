import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { nodeLifecycleSuite } from './node-lifecycle-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  nodeLifecycleSuite(t, pg.openStore)
})
