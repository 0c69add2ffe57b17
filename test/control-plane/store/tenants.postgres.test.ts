import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { tenantsSuite } from './tenants-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  tenantsSuite(t, pg.openStore)
})
