import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { alertsSuite } from './alerts-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  alertsSuite(t, pg.openStore)
})
