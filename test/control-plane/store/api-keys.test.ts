import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { apiKeyRepositorySuite } from './api-key-repository-suite.ts'
import { clusterBindingSuite } from './cluster-binding-suite.ts'
import { openSqliteDb } from '../../../control-plane/store/sqlite/sqlite-db.ts'

t.test('sqlite, in memory', async t => {
  apiKeyRepositorySuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite, on disk (WAL)', async t => {
  const dir = t.testdir()
  let n = 0
  apiKeyRepositorySuite(t, () => openSqliteStore(join(dir, `s${n++}`, 'gpufleet.db')))
})

t.test('sqlite: cluster-bound keys', async t => {
  const dir = t.testdir()
  let n = 0
  clusterBindingSuite(t, async () => {
    const path = join(dir, `b${n++}`, 'gpufleet.db')
    return {
      open: () => openSqliteStore(path, { checkpoint: 'inline' }),
      async exec (sql) {
        const db = openSqliteDb(path)
        try { db.raw.exec(sql) } finally { db.close() }
      },
    }
  })
})
