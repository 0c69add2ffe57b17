import t from 'tap'
import { cpHarness, isError, T0 } from './cp-harness.ts'

t.test('lifecycle: create → raw key once → list shows prefix → use → last_used → revoke → 401 at once, row kept', async t => {
  const h = await cpHarness(t)
  const created = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'prod-metrics-ingestor', permissions: ['read', 'write'] } })
  t.equal(created.status, 201)
  // Seed 003's response example, field for field (+ tenant_id, cluster_id).
  t.same(Object.keys(created.body).sort(), ['cluster_id', 'created_at', 'id', 'key', 'key_prefix', 'label', 'permissions', 'revoked_at', 'tenant_id'])
  t.match(created.body.key, /^gfk_[0-9a-f]{64}$/)
  t.equal(created.body.key_prefix, created.body.key.slice(0, 12))
  t.match(created.body, { label: 'prod-metrics-ingestor', permissions: ['read', 'write'], tenant_id: null, created_at: new Date(T0).toISOString(), revoked_at: null })
  const key: string = created.body.key
  const id: number = created.body.id

  let list = await h.list()
  const row = list.find(k => k.id === id)
  t.match(row, { key_prefix: key.slice(0, 12), label: 'prod-metrics-ingestor', permissions: ['read', 'write'], tenant_id: null, cluster_id: null, last_used_at: null, revoked_at: null, created_by_key_id: 1 })
  t.notOk('key' in row, 'list never returns the key')
  t.notOk(JSON.stringify(list).includes(key.slice(12)), 'nor any part of it past the prefix')
  t.notOk(/key_hash|hash/.test(JSON.stringify(list)), 'nor its hash')

  h.advance(5000)
  const used = await h.req('GET', '/api/api-keys', { key })
  t.equal(used.status, 403, 'a read/write key is authenticated but lacks admin')
  list = await h.list()
  t.equal(list.find(k => k.id === id).last_used_at, new Date(T0 + 5000).toISOString())

  h.advance(1000)
  const revoked = await h.req('DELETE', `/api/api-keys/${id}`, { key: h.root })
  t.equal(revoked.status, 200)
  t.match(revoked.body, { id, revoked_at: new Date(T0 + 6000).toISOString() })
  t.notOk('key' in revoked.body)

  isError(t, await h.req('GET', '/api/api-keys', { key }), 401, 'UNAUTHORIZED', 'revoked key → 401 on the very next request')
  list = await h.list()
  t.match(list.find(k => k.id === id), { revoked_at: new Date(T0 + 6000).toISOString() }, 'row kept as the audit trail')
})

t.test('last_used_at is written at most once a minute', async t => {
  const h = await cpHarness(t)
  const { key, id } = await h.mint(['admin'])
  await h.req('GET', '/api/api-keys', { key })
  h.advance(30_000)
  await h.req('GET', '/api/api-keys', { key })
  t.equal((await h.list()).find(k => k.id === id).last_used_at, new Date(T0).toISOString())
  h.advance(30_000)
  await h.req('GET', '/api/api-keys', { key })
  t.equal((await h.list()).find(k => k.id === id).last_used_at, new Date(T0 + 60_000).toISOString())
})

t.test('permissions default to read+write, are de-duplicated and ordered', async t => {
  const h = await cpHarness(t)
  const a = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'a' } })
  t.same(a.body.permissions, ['read', 'write'])
  const b = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'b', permissions: ['ingest', 'read', 'ingest'] } })
  t.same(b.body.permissions, ['read', 'ingest'])
})

t.test('SQL metacharacters and unicode in a label are stored verbatim', async t => {
  const h = await cpHarness(t)
  const label = "x'); DROP TABLE api_keys; -- \"%_\\ ✓"
  const res = await h.req('POST', '/api/api-keys', { key: h.root, body: { label } })
  t.equal(res.status, 201)
  t.equal(res.body.label, label)
  t.equal((await h.list()).at(-1).label, label)
})

t.test('bad input on POST /api/api-keys → 4xx in the one shape, nothing written', async t => {
  const h = await cpHarness(t)
  const before = await h.list()
  const cases: Array<[string, unknown, number, string]> = [
    ['invalid JSON', '{"label": ', 400, 'BAD_REQUEST'],
    ['JSON null', 'null', 400, 'VALIDATION_FAILED'],
    ['JSON array', '[]', 400, 'VALIDATION_FAILED'],
    ['missing label', { permissions: ['read'] }, 400, 'VALIDATION_FAILED'],
    ['empty label', { label: '' }, 400, 'VALIDATION_FAILED'],
    ['blank label', { label: '   ' }, 400, 'VALIDATION_FAILED'],
    ['label too long', { label: 'x'.repeat(129) }, 400, 'VALIDATION_FAILED'],
    ['label of 1 MB', { label: 'x'.repeat(1_000_000) }, 400, 'VALIDATION_FAILED'],
    ['label a number', { label: 42 }, 400, 'VALIDATION_FAILED'],
    ['tenant_id a string', { label: 'a', tenant_id: '1' }, 400, 'VALIDATION_FAILED'],
    ['tenant_id negative', { label: 'a', tenant_id: -1 }, 400, 'VALIDATION_FAILED'],
    ['tenant_id zero', { label: 'a', tenant_id: 0 }, 400, 'VALIDATION_FAILED'],
    ['tenant_id huge', { label: 'a', tenant_id: 1e20 }, 400, 'VALIDATION_FAILED'],
    ['tenant_id fractional', { label: 'a', tenant_id: 1.5 }, 400, 'VALIDATION_FAILED'],
    ['unknown permission', { label: 'a', permissions: ['read', 'root'] }, 400, 'VALIDATION_FAILED'],
    ['permissions not an array', { label: 'a', permissions: 'read' }, 400, 'VALIDATION_FAILED'],
    ['empty permissions', { label: 'a', permissions: [] }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { label: 'a', permission: ['read'] }, 400, 'VALIDATION_FAILED'],
    ['tenant-bound superadmin', { label: 'a', tenant_id: 3, permissions: ['superadmin'] }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [name, body, status, code] of cases) {
    isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body }), status, code, name)
  }
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root }), 400, 'VALIDATION_FAILED', 'no body')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: 'label=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'form body')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: '{"label":"a"}', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'JSON sent as text/plain')
  isError(t, await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'a', pad: 'x'.repeat(2 * 1024 * 1024) } }), 413, 'PAYLOAD_TOO_LARGE', 'body over 1 MiB')
  t.same(await h.list(), before, 'nothing written')
})

t.test('validation failures name the field', async t => {
  const h = await cpHarness(t)
  const res = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'a', permissions: ['root'] } })
  t.match(res.body.message, /^permissions\.0: /)
  t.match(res.body.details.issues, [{ path: 'permissions.0' }])
})

t.test('only a superadmin may mint superadmin keys', async t => {
  const h = await cpHarness(t)
  const admin = await h.mint(['admin'])
  const before = await h.list()
  const res = await h.req('POST', '/api/api-keys', { key: admin.key, body: { label: 'esc', permissions: ['superadmin'] } })
  isError(t, res, 403, 'FORBIDDEN')
  t.match(res.body.message, /superadmin/)
  t.same((await h.list()).map(k => k.id), before.map(k => k.id), 'nothing written')
  const ok = await h.req('POST', '/api/api-keys', { key: admin.key, body: { label: 'agent', permissions: ['ingest'] } })
  t.equal(ok.status, 201, 'an admin may mint ingest keys for agents')
  const su = await h.req('POST', '/api/api-keys', { key: h.root, body: { label: 'su2', permissions: ['superadmin'] } })
  t.equal(su.status, 201)
})

t.test('a tenant-bound admin mints, lists and revokes only within its tenant', async t => {
  const h = await cpHarness(t)
  const tenantAdmin = await h.mint(['admin'], { tenant_id: 7 })
  const other = await h.mint(['read'], { tenant_id: 8 })
  const global = await h.mint(['read'])

  const own = await h.req('POST', '/api/api-keys', { key: tenantAdmin.key, body: { label: 'defaulted' } })
  t.equal(own.status, 201)
  t.equal(own.body.tenant_id, 7, 'tenant defaults to the caller\'s')
  const same = await h.req('POST', '/api/api-keys', { key: tenantAdmin.key, body: { label: 'explicit', tenant_id: 7 } })
  t.equal(same.status, 201)
  const before = await h.list()
  isError(t, await h.req('POST', '/api/api-keys', { key: tenantAdmin.key, body: { label: 'x', tenant_id: 8 } }), 403, 'FORBIDDEN')
  t.same((await h.list()).map(k => k.id), before.map(k => k.id), 'nothing written')

  const listed = await h.req('GET', '/api/api-keys', { key: tenantAdmin.key })
  t.equal(listed.status, 200)
  t.ok(listed.body.length === 3 && listed.body.every((k: any) => k.tenant_id === 7), 'sees only tenant 7')

  isError(t, await h.req('DELETE', `/api/api-keys/${other.id}`, { key: tenantAdmin.key }), 404, 'NOT_FOUND', 'another tenant\'s key looks unknown')
  isError(t, await h.req('DELETE', `/api/api-keys/${global.id}`, { key: tenantAdmin.key }), 404, 'NOT_FOUND', 'a global key looks unknown')
  t.equal((await h.req('DELETE', `/api/api-keys/${own.body.id}`, { key: tenantAdmin.key })).status, 200)
})

t.test('DELETE: unknown → 404, non-numeric → 400, again → 200 idempotent', async t => {
  const h = await cpHarness(t)
  const { id } = await h.mint(['read'])
  const before = await h.list()
  isError(t, await h.req('DELETE', '/api/api-keys/999', { key: h.root }), 404, 'NOT_FOUND')
  for (const bad of ['abc', '-1', '0', '1.5', '1e3', '99999999999999999999', "1;DROP TABLE api_keys", '%20']) {
    isError(t, await h.req('DELETE', `/api/api-keys/${encodeURIComponent(bad)}`, { key: h.root }), 400, 'VALIDATION_FAILED', `id ${bad}`)
  }
  t.same(await h.list(), before, 'nothing written')

  const first = await h.req('DELETE', `/api/api-keys/${id}`, { key: h.root })
  h.advance(10_000)
  const again = await h.req('DELETE', `/api/api-keys/${id}`, { key: h.root })
  t.equal(again.status, 200)
  t.equal(again.body.revoked_at, first.body.revoked_at, 'keeps the first revoked_at')
})

t.test('the last active superadmin cannot revoke itself (409), an admin cannot revoke a superadmin (403)', async t => {
  const h = await cpHarness(t)
  const admin = await h.mint(['admin'])
  isError(t, await h.req('DELETE', '/api/api-keys/1', { key: admin.key }), 403, 'FORBIDDEN')
  const res = await h.req('DELETE', '/api/api-keys/1', { key: h.root })
  isError(t, res, 409, 'LAST_SUPERADMIN')
  t.equal((await h.req('GET', '/api/api-keys', { key: h.root })).status, 200, 'root still works')

  const second = await h.mint(['superadmin'])
  t.equal((await h.req('DELETE', '/api/api-keys/1', { key: second.key })).status, 200, 'with another superadmin, the bootstrap key can go')
  isError(t, await h.req('DELETE', '/api/api-keys/1', { key: h.root }), 401, 'UNAUTHORIZED')
  isError(t, await h.req('DELETE', `/api/api-keys/${second.id}`, { key: second.key }), 409, 'LAST_SUPERADMIN')
})

t.test('routes that do not exist answer 404 in the one shape', async t => {
  const h = await cpHarness(t)
  isError(t, await h.req('PUT', '/api/api-keys/1', { key: h.root, body: {} }), 404, 'NOT_FOUND')
  isError(t, await h.req('GET', '/api/nope', { key: h.root }), 404, 'NOT_FOUND')
})
