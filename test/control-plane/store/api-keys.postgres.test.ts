import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { apiKeyRepositorySuite } from './api-key-repository-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  apiKeyRepositorySuite(t, pg.openStore)
})
