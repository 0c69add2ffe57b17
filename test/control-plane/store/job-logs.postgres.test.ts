import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { jobLogsSuite } from './job-logs-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  jobLogsSuite(t, pg.openStore)
})
