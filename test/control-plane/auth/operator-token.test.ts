import t from 'tap'
import { importJWK, jwtVerify, decodeProtectedHeader } from 'jose'
import { productParts } from '../../../control-plane/product-parts.ts'
import { ed25519Thumbprint } from '../../../shared/ed25519-thumbprint.ts'
import { OPERATOR_TOKEN_ISSUER, OPERATOR_TOKEN_TYP } from '../../../shared/wire/operator-token.ts'
import { cpHarness, isError, T0 } from '../cp-harness.ts'

async function fleet (t: Parameters<typeof cpHarness>[0]) {
  const h = await cpHarness(t, { routers: productParts().routers })
  const cluster = await h.req('POST', '/api/clusters', { key: h.root, body: { name: 'lab', region: 'yto-01' } })
  if (cluster.status !== 201) throw new Error(`cluster: ${cluster.status} ${cluster.text}`)
  const agentKey: string = cluster.body.api_key
  const reg = await h.req('POST', '/api/clusters/nodes', { key: agentKey, body: { cluster_name: 'lab', hostname: 'edge-01', total_gpus: 8, agent_url: 'http://10.0.0.5:9410' } })
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`)
  return { h, agentKey, node: reg.body, clusterId: cluster.body.id as number }
}

t.test('the registration answer carries the public key; a superadmin mints a token the key verifies', async t => {
  const { h, node, clusterId } = await fleet(t)
  const published = node.operator_token_key
  t.match(published, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: /^[A-Za-z0-9_-]{43}$/ })
  t.equal(published.kid, ed25519Thumbprint(published.x), 'kid is the RFC 7638 thumbprint')
  t.notOk('d' in published, 'never the private part')

  const res = await h.req('POST', `/api/nodes/${node.id}/operator-token`, { key: h.root, body: { actions: ['status'], ttl_s: 120 } })
  t.equal(res.status, 200, res.text)
  t.equal(res.headers.get('cache-control'), 'no-store')
  t.match(res.body, {
    token_type: 'Bearer', expires_in: 120, expires_at: new Date(T0 + 120_000).toISOString(), kid: published.kid,
    audience: `gpufleet:node:${node.id}`, actions: ['status'],
    node: { id: node.id, hostname: 'edge-01', cluster_id: clusterId, agent_url: 'http://10.0.0.5:9410' },
  })
  t.same(decodeProtectedHeader(res.body.token), { alg: 'EdDSA', kid: published.kid, typ: OPERATOR_TOKEN_TYP })
  const { payload } = await jwtVerify(res.body.token, await importJWK(published, 'EdDSA'), {
    issuer: OPERATOR_TOKEN_ISSUER, audience: `gpufleet:node:${node.id}`, currentDate: new Date(T0 + 60_000),
  })
  t.match(payload, { sub: /^key:\d+$/, scope: 'gpu:status', rev: 0, iat: T0 / 1000, nbf: T0 / 1000, exp: T0 / 1000 + 120, jti: /^[A-Za-z0-9_-]{22}$/ })

  const defaults = await h.req('POST', `/api/nodes/${node.id}/operator-token`, { key: h.root })
  t.equal(defaults.status, 200, 'the body is optional')
  t.match(defaults.body, { expires_in: 300, actions: ['status', 'memory', 'purge'] }, 'default: 300 s, every action')
  const cluster = await h.req('POST', `/api/nodes/${node.id}/operator-token`, { key: h.root, body: { scope: 'cluster' } })
  t.equal(cluster.body.audience, `gpufleet:cluster:${clusterId}`)
  t.not(cluster.body.token, defaults.body.token)

  const again = await h.req('POST', '/api/clusters/nodes', { key: h.root, body: { cluster_name: 'lab', hostname: 'edge-01' } })
  t.same(again.body.operator_token_key, published, 'the same key on every heartbeat')
})

t.test('only superadmin; bad input is a 4xx with a stable code', async t => {
  const { h, node } = await fleet(t)
  const path = `/api/nodes/${node.id}/operator-token`
  const admin = await h.mint(['admin'])
  isError(t, await h.req('POST', path, {}), 401, 'UNAUTHORIZED')
  isError(t, await h.req('POST', path, { key: admin.key }), 403, 'FORBIDDEN')
  const agent = await h.mint(['ingest'])
  isError(t, await h.req('POST', path, { key: agent.key }), 403, 'FORBIDDEN', 'an agent key cannot mint')
  isError(t, await h.req('POST', '/api/nodes/999/operator-token', { key: h.root }), 404, 'NODE_NOT_FOUND')
  for (const id of ['abc', '0', '-1', '1.5', '9999999999999999']) {
    isError(t, await h.req('POST', `/api/nodes/${id}/operator-token`, { key: h.root }), 400, 'VALIDATION_FAILED', `id ${id}`)
  }
  for (const body of [
    { ttl_s: 301 }, { ttl_s: 0 }, { ttl_s: 1.5 }, { ttl_s: '60' }, { actions: [] }, { actions: ['reboot'] },
    { actions: ['status', 'status'] }, { scope: 'fleet' }, { audience: 'x' }, [], 'null',
  ]) {
    isError(t, await h.req('POST', path, { key: h.root, body }), 400, 'VALIDATION_FAILED', JSON.stringify(body))
  }
  isError(t, await h.req('POST', path, { key: h.root, body: '{"ttl_s":', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST', 'broken JSON')
  const form = await h.req('POST', path, { key: h.root, body: 'ttl_s=60', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.status, 415, 'not JSON')
  t.notOk(h.logs().includes('"level":50'), 'no error logged')
})

t.test('replicas on one database sign with one key (first writer wins)', async t => {
  const { h } = await fleet(t)
  const [a, b] = await Promise.all([
    h.store.operatorKeys.addSigningKeyIfNone({ kid: 'k-a', alg: 'EdDSA', publicJwk: '{"x":"a"}', privateJwk: '{"d":"a"}', createdAt: T0 }),
    h.store.operatorKeys.addSigningKeyIfNone({ kid: 'k-b', alg: 'EdDSA', publicJwk: '{"x":"b"}', privateJwk: '{"d":"b"}', createdAt: T0 }),
  ])
  t.same(b, a, 'both see the same active key')
})

t.test('every push acknowledgement carries the revocation epoch; a revoke moves it within a second', async t => {
  const { h, agentKey } = await fleet(t)
  // Ingest's group-commit timer is unref'd (it must not hold a stopping server): with no socket
  // in this in-process test, something has to keep the event loop alive.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  const push = async () => h.req('POST', '/api/gpu-stats', {
    key: agentKey,
    body: { node: { hostname: 'edge-01', cluster: 'lab' }, gpus: [{ gpu_id: 0, name: 'NVIDIA B200', recorded_at: new Date(h.now()).toISOString() }] },
  })
  const first = await push()
  t.equal(first.status, 200, first.text)
  t.equal(first.body.revocation_epoch, 0)
  const victim = await h.mint(['superadmin'])
  t.equal((await h.req('DELETE', `/api/api-keys/${victim.id}`, { key: h.root })).status, 200)
  h.advance(999)
  t.equal((await push()).body.revocation_epoch, 0, 'read at most once a second (2,000 agents push at 1 Hz)')
  h.advance(1)
  t.equal((await push()).body.revocation_epoch, 1, 'the revoke, a second later at most')

  const token = await h.req('POST', '/api/nodes/1/operator-token', { key: h.root })
  const { payload } = await jwtVerify(token.body.token, await importJWK((await h.req('POST', '/api/clusters/nodes', { key: agentKey, body: { cluster_name: 'lab', hostname: 'edge-01' } })).body.operator_token_key, 'EdDSA'), { currentDate: new Date(h.now()) })
  t.equal(payload.rev, 1, 'tokens carry the epoch they were minted under')
})
