import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { agentJobsSuite } from './agent-jobs-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  agentJobsSuite(t, pg.openStore)
})
