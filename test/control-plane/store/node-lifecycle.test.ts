import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { nodeLifecycleSuite } from './node-lifecycle-suite.ts'

t.test('sqlite (in memory)', async t => {
  nodeLifecycleSuite(t, () => openSqliteStore(':memory:'))
})
