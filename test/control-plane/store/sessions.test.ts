import t from 'tap'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { sessionsSuite } from './sessions-suite.ts'

t.test('sqlite, in memory', async t => {
  sessionsSuite(t, () => openSqliteStore(':memory:'))
})

t.test('sqlite file: sessions survive a restart (a control-plane restart does not log everyone out)', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const idHash = createHash('sha256').update('s').digest('hex')
  const first = await openSqliteStore(path)
  await first.sessions.create({ idHash, keyId: 1, createdAt: 1, expiresAt: 1000 })
  await first.close()
  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  t.match(await second.sessions.findActive(idHash, 500), { keyId: 1 })
})
