import { createHash } from 'node:crypto'
import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { SessionConflictError } from '../../../control-plane/store/session-repository.ts'
import { freshStore, type StoreFactory } from './fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 30)
const HOUR = 3_600_000
const hash = (s: string) => createHash('sha256').update(s).digest('hex')

/**
 * The console-session repository contract, written against the interface only: every store
 * engine (SQLite now, PostgreSQL alongside) runs this same suite with its own factory.
 */
export function sessionsSuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const withStore = async (t: Test) => (await fresh(t)).sessions

  t.test('create, then find while active; expiry is exclusive', async t => {
    const repo = await withStore(t)
    const s = { idHash: hash('a'), keyId: 1, createdAt: T0, expiresAt: T0 + 8 * HOUR }
    t.same(await repo.create(s), s)
    t.same(await repo.findActive(hash('a'), T0), s)
    t.same(await repo.findActive(hash('a'), T0 + 8 * HOUR - 1), s, 'one millisecond before expiry: active')
    t.equal(await repo.findActive(hash('a'), T0 + 8 * HOUR), null, 'at expiry: gone')
    t.equal(await repo.findActive(hash('nope'), T0), null, 'unknown hash')
  })

  t.test('a duplicate hash is a SessionConflictError and changes nothing', async t => {
    const repo = await withStore(t)
    await repo.create({ idHash: hash('a'), keyId: 1, createdAt: T0, expiresAt: T0 + HOUR })
    await t.rejects(repo.create({ idHash: hash('a'), keyId: 2, createdAt: T0, expiresAt: T0 + 2 * HOUR }), SessionConflictError)
    t.match(await repo.findActive(hash('a'), T0), { keyId: 1, expiresAt: T0 + HOUR })
  })

  t.test('delete (logout) is idempotent and touches only that session', async t => {
    const repo = await withStore(t)
    await repo.create({ idHash: hash('a'), keyId: 1, createdAt: T0, expiresAt: T0 + HOUR })
    await repo.create({ idHash: hash('b'), keyId: 1, createdAt: T0, expiresAt: T0 + HOUR })
    t.equal(await repo.delete(hash('a')), true)
    t.equal(await repo.delete(hash('a')), false, 'second logout deletes nothing')
    t.equal(await repo.findActive(hash('a'), T0), null)
    t.ok(await repo.findActive(hash('b'), T0), 'the other session stays')
  })

  t.test('deleteForKey ends every session of one key only', async t => {
    const repo = await withStore(t)
    for (const [name, keyId] of [['a', 1], ['b', 1], ['c', 2]] as const) {
      await repo.create({ idHash: hash(name), keyId, createdAt: T0, expiresAt: T0 + HOUR })
    }
    t.equal(await repo.deleteForKey(1), 2)
    t.equal(await repo.deleteForKey(1), 0)
    t.equal(await repo.findActive(hash('b'), T0), null)
    t.match(await repo.findActive(hash('c'), T0), { keyId: 2 })
  })

  t.test('deleteExpired removes exactly the expired ones', async t => {
    const repo = await withStore(t)
    await repo.create({ idHash: hash('old'), keyId: 1, createdAt: T0, expiresAt: T0 + HOUR })
    await repo.create({ idHash: hash('edge'), keyId: 1, createdAt: T0, expiresAt: T0 + 2 * HOUR })
    await repo.create({ idHash: hash('new'), keyId: 1, createdAt: T0, expiresAt: T0 + 3 * HOUR })
    t.equal(await repo.deleteExpired(T0 + 2 * HOUR), 2, 'expiresAt <= at goes')
    t.ok(await repo.findActive(hash('new'), T0 + 2 * HOUR))
    t.equal(await repo.deleteExpired(T0 + 2 * HOUR), 0)
  })
}
