import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { gpuHistorySuite } from './gpu-history-suite.ts'

t.test('sqlite, in memory', async t => {
  gpuHistorySuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite on disk (WAL): the minute read on the reader thread, the writes on the writer thread', async t => {
  const dir = t.testdir()
  let n = 0
  gpuHistorySuite(t, () => openSqliteStore(join(dir, `h${n++}`, 'gpufleet.db')))
})
