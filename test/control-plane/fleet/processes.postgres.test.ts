import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { processesSuite } from './processes-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  processesSuite(t, pg.openStore)
})
