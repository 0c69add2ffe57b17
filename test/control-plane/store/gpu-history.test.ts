import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { gpuHistorySuite } from './gpu-history-suite.ts'

t.test('sqlite, in memory', async t => {
  gpuHistorySuite(t, () => openSqliteStore(':memory:'))
})
