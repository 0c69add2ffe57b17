import t from 'tap'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { operatorKeysSuite } from './operator-keys-suite.ts'

t.test('postgres: two replicas on one database', async t => {
  const pg = await postgresTestDatabase(t)
  operatorKeysSuite(t, async () => {
    const schema = pg.freshSchema()
    const a = await openPostgresStore(pg.url, { schema })
    const b = await openPostgresStore(pg.url, { schema })
    t.teardown(async () => { await b.close(); await a.close() })
    return [a, b] as [Store, Store]
  })
})
