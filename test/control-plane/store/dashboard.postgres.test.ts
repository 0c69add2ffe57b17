import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { dashboardSuite } from './dashboard-suite.ts'
import { schedulingRowsWith } from './insight-fixture.ts'
import { compactingStore } from '../../helpers/compacting-store.ts'

t.test('postgres (scheduling rows through a second connection)', async t => {
  const pg = await postgresTestDatabase(t)
  dashboardSuite(t, async () => {
    const { store, query } = await pg.openStoreWithSyncSql()
    return { store, rows: schedulingRowsWith(query) }
  })
})

t.test('postgres, telemetry compacted after every write', async t => {
  const pg = await postgresTestDatabase(t)
  dashboardSuite(t, async () => {
    const { store, query } = await pg.openStoreWithSyncSql()
    return { store: compactingStore(store), rows: schedulingRowsWith(query) }
  }, { compactedAfterEveryWrite: true })
})
