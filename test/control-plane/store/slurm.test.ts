import t from 'tap'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { slurmSuite } from './slurm-suite.ts'

t.test('sqlite, in memory', async t => {
  slurmSuite(t, () => openSqliteStore(':memory:'))
})
