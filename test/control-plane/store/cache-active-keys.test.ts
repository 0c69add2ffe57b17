import t from 'tap'
import { cacheActiveKeys } from '../../../control-plane/store/cache-active-keys.ts'
import type { ApiKeyRepository, ApiKeyWithHash, RevokeResult } from '../../../control-plane/store/api-key-repository.ts'

function fakeRepo () {
  const keys = new Map<string, ApiKeyWithHash>()
  const calls = { find: 0, touch: 0 }
  const add = (id: number, keyHash: string) => keys.set(keyHash, {
    id, keyHash, keyPrefix: 'gfk_abcdefgh', label: `k${id}`, permissions: ['ingest'], tenantId: null, clusterId: null,
    createdAt: 0, lastUsedAt: null, revokedAt: null, createdByKeyId: null,
  })
  const repo = {
    async findActiveByHash (hash: string) {
      calls.find++
      const k = keys.get(hash)
      return k === undefined || k.revokedAt !== null ? null : { ...k }
    },
    async revoke (id: number, at: number): Promise<RevokeResult> {
      const k = [...keys.values()].find(x => x.id === id)!
      k.revokedAt = at
      return { status: 'revoked', key: k }
    },
    async touchLastUsed (id: number, at: number) {
      calls.touch++
      const k = [...keys.values()].find(x => x.id === id)!
      k.lastUsedAt = at
      return true
    },
  } as unknown as ApiKeyRepository
  return { repo, keys, calls, add }
}

t.test('a valid key is looked up once per ttl', async t => {
  const clock = { now: 1000 }
  const { repo, calls, add } = fakeRepo()
  add(1, 'h1')
  const cached = cacheActiveKeys(repo, { now: () => clock.now, ttlMs: 5000 })
  t.match(await cached.findActiveByHash('h1'), { id: 1 })
  clock.now += 4999
  t.match(await cached.findActiveByHash('h1'), { id: 1 })
  t.equal(calls.find, 1, 'served from the cache within the ttl')
  clock.now += 1
  await cached.findActiveByHash('h1')
  t.equal(calls.find, 2, 'looked up again once it expired')
})

t.test('misses are not cached: a key created after a failed attempt works at once', async t => {
  const { repo, calls, add } = fakeRepo()
  const cached = cacheActiveKeys(repo, { now: () => 0 })
  t.equal(await cached.findActiveByHash('h2'), null)
  add(2, 'h2')
  t.match(await cached.findActiveByHash('h2'), { id: 2 })
  t.equal(calls.find, 2)
})

t.test('a revoke through the repository drops the key at once', async t => {
  const { repo, add } = fakeRepo()
  add(3, 'h3')
  add(4, 'h4')
  const cached = cacheActiveKeys(repo, { now: () => 0 })
  await cached.findActiveByHash('h3')
  await cached.findActiveByHash('h4')
  t.match(await cached.revoke(3, 10), { status: 'revoked' })
  t.equal(await cached.findActiveByHash('h3'), null, 'the revoked key is refused on the next lookup')
  t.match(await cached.findActiveByHash('h4'), { id: 4 }, 'other keys unaffected')
})

t.test('a revoke made elsewhere applies within the ttl', async t => {
  const clock = { now: 0 }
  const { repo, add } = fakeRepo()
  add(5, 'h5')
  const cached = cacheActiveKeys(repo, { now: () => clock.now, ttlMs: 5000 })
  await cached.findActiveByHash('h5')
  await repo.revoke(5, 1) // another replica, straight to the store
  t.match(await cached.findActiveByHash('h5'), { id: 5 }, 'still cached: the documented bound')
  clock.now = 5000
  t.equal(await cached.findActiveByHash('h5'), null)
})

t.test('touchLastUsed keeps the cached last_used_at current', async t => {
  const { repo, calls, add } = fakeRepo()
  add(6, 'h6')
  const cached = cacheActiveKeys(repo, { now: () => 0 })
  t.equal((await cached.findActiveByHash('h6'))!.lastUsedAt, null)
  t.equal(await cached.touchLastUsed(6, 700), true)
  t.equal((await cached.findActiveByHash('h6'))!.lastUsedAt, 700)
  t.equal(calls.touch, 1)
  t.equal(calls.find, 1)
})

t.test('holds at most maxKeys, dropping the oldest', async t => {
  const { repo, calls, add } = fakeRepo()
  for (let i = 1; i <= 3; i++) add(i, `k${i}`)
  const cached = cacheActiveKeys(repo, { now: () => 0, maxKeys: 2 })
  for (const h of ['k1', 'k2', 'k3']) await cached.findActiveByHash(h)
  t.equal(calls.find, 3)
  await cached.findActiveByHash('k3')
  await cached.findActiveByHash('k2')
  t.equal(calls.find, 3, 'the two newest are cached')
  await cached.findActiveByHash('k1')
  t.equal(calls.find, 4, 'the oldest was dropped')
})

t.test('ttlMs 0 is the repository itself; bad options are refused', async t => {
  const { repo } = fakeRepo()
  t.equal(cacheActiveKeys(repo, { ttlMs: 0 }), repo)
  t.throws(() => cacheActiveKeys(repo, { ttlMs: -1 }), /ttlMs must be ≥ 0/)
  t.throws(() => cacheActiveKeys(repo, { maxKeys: 0 }), /maxKeys must be a positive integer/)
})
