import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { sessionsSuite } from './sessions-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  sessionsSuite(t, pg.openStore)
})
