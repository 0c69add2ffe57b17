import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { gpuHistorySuite } from './gpu-history-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  gpuHistorySuite(t, pg.openStore)
})
