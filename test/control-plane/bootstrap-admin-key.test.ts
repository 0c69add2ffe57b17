import t from 'tap'
import { bootstrapAdminKey } from '../../control-plane/auth/bootstrap-admin-key.ts'
import { hashApiKey } from '../../shared/wire/api-key-format.ts'
import { openSqliteStore } from '../../control-plane/store/sqlite/open-sqlite-store.ts'

const ENV_KEY = `gfk_${'Ab3-'.repeat(10)}`

t.test('an empty store gets a generated superadmin key, returned once', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const first = await bootstrapAdminKey(store, undefined, () => 1000)
  t.equal(first.created, true)
  t.match(first.key, /^gfk_[0-9a-f]{64}$/)
  const [rec] = await store.apiKeys.list()
  t.match(rec, { label: 'bootstrap', permissions: ['superadmin'], tenantId: null, createdAt: 1000, keyPrefix: first.key!.slice(0, 12) })
  t.same(await bootstrapAdminKey(store), { created: false }, 'never again')
  t.equal((await store.apiKeys.list()).length, 1)
})

t.test('GPUFLEET_ADMIN_KEY is stored once as a superadmin key, and never returned', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  t.same(await bootstrapAdminKey(store, ENV_KEY), { created: true })
  t.same(await bootstrapAdminKey(store, ENV_KEY), { created: false }, 'already stored')
  const keys = await store.apiKeys.list()
  t.equal(keys.length, 1, 'no generated key beside it')
  t.match(keys[0], { label: 'bootstrap', permissions: ['superadmin'], keyPrefix: ENV_KEY.slice(0, 12) })
  t.ok(await store.apiKeys.findActiveByHash(hashApiKey(ENV_KEY)))
})

t.test('GPUFLEET_ADMIN_KEY is added to a store that already has keys; a revoked one stays revoked', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  await bootstrapAdminKey(store)
  t.same(await bootstrapAdminKey(store, ENV_KEY), { created: true })
  const env = (await store.apiKeys.list()).find(k => k.keyPrefix === ENV_KEY.slice(0, 12))!
  t.equal((await store.apiKeys.revoke(env.id, 5)).status, 'revoked')
  t.same(await bootstrapAdminKey(store, ENV_KEY), { created: false }, 'an operator who revoked it meant it')
  t.equal(await store.apiKeys.findActiveByHash(hashApiKey(ENV_KEY)), null)
})

t.test('a bad GPUFLEET_ADMIN_KEY is a config error naming the variable, without echoing it', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  for (const bad of ['', 'secret-admin-key-without-prefix-0123456789', `gfk_${'a'.repeat(31)}`, `gfk_${'a'.repeat(20)} ${'b'.repeat(20)}`, `GFK_${'a'.repeat(40)}`]) {
    const err = await bootstrapAdminKey(store, bad).catch((e: unknown) => e) as Error & { code: string }
    t.equal(err.code, 'CONFIG_INVALID', JSON.stringify(bad.slice(0, 12)))
    t.match(err.message, /GPUFLEET_ADMIN_KEY/)
    if (bad.length > 8) t.notOk(err.message.includes(bad.slice(4)), 'value not echoed')
  }
  t.equal(await store.apiKeys.hasAny(), false, 'nothing stored')
})
