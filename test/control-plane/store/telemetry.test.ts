import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { telemetryRepositorySuite } from './telemetry-repository-suite.ts'
import { telemetryCompactionSuite } from './telemetry-compaction-suite.ts'
import { compactingStore } from '../../helpers/compacting-store.ts'

t.test('sqlite, in memory', async t => {
  telemetryRepositorySuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite: compaction steps', async t => {
  telemetryCompactionSuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite on disk: compaction steps on the writer thread', async t => {
  const dir = t.testdir()
  let n = 0
  telemetryCompactionSuite(t, () => openSqliteStore(join(dir, `c${n++}`, 'gpufleet.db')))
})

t.test('sqlite, on disk (WAL)', async t => {
  const dir = t.testdir()
  let n = 0
  telemetryRepositorySuite(t, () => openSqliteStore(join(dir, `s${n++}`, 'gpufleet.db')))
})

t.test('sqlite, compacted after every write', async t => {
  telemetryRepositorySuite(t, async () => compactingStore(await openSqliteStore(':memory:')), { compactedAfterEveryWrite: true })
})
