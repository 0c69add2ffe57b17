import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { tenantsSuite } from './tenants-suite.ts'

t.test('sqlite (in memory)', async t => {
  tenantsSuite(t, () => openSqliteStore(':memory:'))
})
