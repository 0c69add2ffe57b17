import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { slurmSuite } from './slurm-suite.ts'

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  slurmSuite(t, pg.openStore)
})
