import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { operatorKeysSuite } from './operator-keys-suite.ts'

t.test('sqlite: two connections to one file', async t => {
  let n = 0
  const dir = t.testdir()
  operatorKeysSuite(t, async () => {
    const path = join(dir, `gpufleet-${n++}.db`)
    // checkpoint 'inline': no checkpoint thread per store in a unit test.
    const a = await openSqliteStore(path, { checkpoint: 'inline' })
    const b = await openSqliteStore(path, { checkpoint: 'inline' })
    t.teardown(async () => { await b.close(); await a.close() })
    return [a, b] as [Store, Store]
  })
})
