import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { processesSuite } from './processes-suite.ts'

t.test('sqlite (in memory)', async t => {
  processesSuite(t, () => openSqliteStore(':memory:'))
})
