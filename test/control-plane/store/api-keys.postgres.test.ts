import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { apiKeyRepositorySuite } from './api-key-repository-suite.ts'
import { clusterBindingSuite } from './cluster-binding-suite.ts'
import { openPostgresStore } from '../../../control-plane/store/postgres/open-postgres-store.ts'
import pg from 'pg'

const { Client } = pg

t.test('postgres', async t => {
  const pg = await postgresTestDatabase(t)
  apiKeyRepositorySuite(t, pg.openStore)
})

t.test('postgres: cluster-bound keys', async t => {
  const pg = await postgresTestDatabase(t)
  clusterBindingSuite(t, async () => {
    const schema = pg.freshSchema()
    return {
      open: () => openPostgresStore(pg.url, { schema }),
      async exec (sql) {
        const client = new Client({ connectionString: pg.url, options: `-c search_path=${schema}` })
        await client.connect()
        try { await client.query(sql) } finally { await client.end() }
      },
    }
  })
})
