import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { jobLogsSuite } from './job-logs-suite.ts'

t.test('sqlite, in memory', async t => {
  jobLogsSuite(t, () => openSqliteStore(':memory:'))
})
