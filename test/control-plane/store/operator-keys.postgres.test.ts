import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { operatorKeysSuite } from './operator-keys-suite.ts'

t.test('postgres: two replicas on one database', async t => {
  const pg = await postgresTestDatabase(t)
  operatorKeysSuite(t, () => pg.openTwoReplicas(t))
})
