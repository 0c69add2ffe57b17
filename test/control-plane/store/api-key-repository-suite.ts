import { createHash } from 'node:crypto'
import type { Test } from 'tap'
import type { Store } from '../../../control-plane/store/store.ts'
import { LAST_USED_RESOLUTION_MS, type NewApiKey } from '../../../control-plane/store/api-key-repository.ts'
import { freshStore, type StoreFactory } from './fresh-store.ts'

const T0 = Date.UTC(2026, 4, 9, 0, 30)
const hash = (s: string) => createHash('sha256').update(s).digest('hex')

function newKey (name: string, over: Partial<NewApiKey> = {}): NewApiKey {
  return {
    keyHash: hash(name),
    keyPrefix: `gfk_${hash(name).slice(0, 8)}`,
    label: name,
    permissions: ['read', 'write'],
    tenantId: null,
    createdByKeyId: null,
    createdAt: T0,
    ...over,
  }
}

/**
 * The API-key repository contract, written against the interface only: every store engine
 * (SQLite now, PostgreSQL later) runs this same suite with its own factory.
 */
export function apiKeyRepositorySuite (t: Test, openStore: StoreFactory): void {
  const fresh = freshStore(openStore)
  const withStore = async (t: Test) => (await fresh(t)).apiKeys

  t.test('create returns the stored record, never the hash', async t => {
    const repo = await withStore(t)
    t.equal(await repo.hasAny(), false)
    const rec = await repo.create(newKey('a', { tenantId: 7, permissions: ['read', 'ingest'] }))
    t.match(rec, { keyPrefix: `gfk_${hash('a').slice(0, 8)}`, label: 'a', permissions: ['read', 'ingest'], tenantId: 7, createdAt: T0, lastUsedAt: null, revokedAt: null, createdByKeyId: null })
    t.type(rec.id, 'number')
    t.notOk('keyHash' in rec)
    const child = await repo.create(newKey('b', { createdByKeyId: rec.id }))
    t.equal(child.createdByKeyId, rec.id)
    t.ok(child.id > rec.id)
    t.equal(await repo.hasAny(), true)
  })

  t.test('a duplicate hash is a conflict with a stable code', async t => {
    const repo = await withStore(t)
    await repo.create(newKey('dup'))
    await t.rejects(repo.create(newKey('dup', { label: 'other' })), { code: 'API_KEY_CONFLICT' })
    t.equal((await repo.list()).length, 1)
  })

  t.test('labels are stored verbatim, SQL metacharacters and all', async t => {
    const repo = await withStore(t)
    const labels = ["x'); DROP TABLE api_keys; --", '"%_\\*', 'héllo ✓ 日本', 'a\u0000b']
    for (const [i, label] of labels.entries()) await repo.create(newKey(`k${i}`, { label }))
    t.same((await repo.list()).map(k => k.label), labels)
  })

  t.test('findActiveByHash finds active keys only; findByHash finds revoked too', async t => {
    const repo = await withStore(t)
    const a = await repo.create(newKey('a'))
    await repo.create(newKey('b', { permissions: ['superadmin'] }))
    const found = await repo.findActiveByHash(hash('a'))
    t.equal(found?.id, a.id)
    t.equal(found?.keyHash, hash('a'))
    t.equal(await repo.findActiveByHash(hash('nope')), null)
    t.equal((await repo.revoke(a.id, T0 + 5)).status, 'revoked')
    t.equal(await repo.findActiveByHash(hash('a')), null)
    t.match(await repo.findByHash(hash('a')), { id: a.id, revokedAt: T0 + 5 })
    t.equal(await repo.findByHash(hash('nope')), null)
    t.match(await repo.findById(a.id), { id: a.id, revokedAt: T0 + 5 })
    t.equal(await repo.findById(9999), null)
  })

  t.test('list is ordered by id and filters by tenant', async t => {
    const repo = await withStore(t)
    await repo.create(newKey('a', { tenantId: 1 }))
    await repo.create(newKey('b', { tenantId: 2 }))
    await repo.create(newKey('c'))
    await repo.create(newKey('d', { tenantId: 1 }))
    t.same((await repo.list()).map(k => k.label), ['a', 'b', 'c', 'd'])
    t.same((await repo.list({ tenantId: 1 })).map(k => k.label), ['a', 'd'])
    t.same(await repo.list({ tenantId: 3 }), [])
    for (const k of await repo.list()) t.notOk('keyHash' in k)
  })

  t.test('revoke is soft and idempotent, keeping the first revoked_at', async t => {
    const repo = await withStore(t)
    const a = await repo.create(newKey('a'))
    t.same(await repo.revoke(12345, T0), { status: 'not-found' })
    const first = await repo.revoke(a.id, T0 + 10)
    t.match(first, { status: 'revoked', key: { id: a.id, revokedAt: T0 + 10 } })
    const again = await repo.revoke(a.id, T0 + 20)
    t.match(again, { status: 'already-revoked', key: { id: a.id, revokedAt: T0 + 10 } })
    t.equal((await repo.list()).length, 1, 'row kept as the audit trail')
  })

  t.test('the last active superadmin cannot be revoked', async t => {
    const repo = await withStore(t)
    const s1 = await repo.create(newKey('s1', { permissions: ['superadmin'] }))
    const s2 = await repo.create(newKey('s2', { permissions: ['read', 'superadmin'] }))
    const admin = await repo.create(newKey('admin', { permissions: ['admin'] }))
    t.equal(await repo.countActiveSuperadmins(), 2)
    t.equal((await repo.revoke(s1.id, T0)).status, 'revoked')
    t.equal(await repo.countActiveSuperadmins(), 1)
    t.match(await repo.revoke(s2.id, T0), { status: 'last-superadmin', key: { id: s2.id, revokedAt: null } })
    t.equal(await repo.findById(s2.id).then(k => k?.revokedAt), null)
    t.equal((await repo.revoke(admin.id, T0)).status, 'revoked', 'non-superadmin keys are unaffected')
    t.equal(await repo.countActiveSuperadmins(), 1)
  })

  t.test('touchLastUsed writes at most once per resolution window', async t => {
    const repo = await withStore(t)
    const a = await repo.create(newKey('a'))
    t.equal(await repo.touchLastUsed(a.id, T0 + 1000), true)
    t.equal(await repo.touchLastUsed(a.id, T0 + 1000 + LAST_USED_RESOLUTION_MS - 1), false)
    t.equal((await repo.findById(a.id))?.lastUsedAt, T0 + 1000)
    t.equal(await repo.touchLastUsed(a.id, T0 + 1000 + LAST_USED_RESOLUTION_MS), true)
    t.equal((await repo.findById(a.id))?.lastUsedAt, T0 + 1000 + LAST_USED_RESOLUTION_MS)
    t.equal(await repo.touchLastUsed(9999, T0), false)
  })

  t.test('hasAny stays true once a key was stored, even if revoked', async t => {
    const repo = await withStore(t)
    await repo.create(newKey('s', { permissions: ['superadmin'] }))
    const a = await repo.create(newKey('a'))
    await repo.revoke(a.id, T0)
    t.equal(await repo.hasAny(), true)
  })
}
