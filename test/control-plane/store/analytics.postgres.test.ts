import t from 'tap'
import { postgresTestDatabase } from '../../helpers/postgres-test-database.ts'
import { schedulingRowsWith } from '../analytics/insert-scheduling-rows.ts'
import { analyticsStoreSuite } from './analytics-suite.ts'

t.test('postgres (scheduling rows through a second connection)', async t => {
  const pg = await postgresTestDatabase(t)
  analyticsStoreSuite(t, async () => {
    const { store, query } = await pg.openStoreWithSyncSql()
    return { store, rows: schedulingRowsWith(query, () => {}) }
  })
})
