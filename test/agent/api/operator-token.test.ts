import t, { type Test } from 'tap'
import { createAgentApp } from '../../../agent/api/create-agent-app.ts'
import { createOperatorTokenVerifier } from '../../../agent/api/verify-operator-token.ts'
import { createOperatorTokenSigner, type MintOperatorToken } from '../../../control-plane/auth/create-operator-token-signer.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { clusterAudience, nodeAudience, type OperatorTokenKey } from '../../../shared/wire/operator-token.ts'
import {
  KEYS, SEED_TIME, bearer, fakeClock, fakeOperatorAuth, fakePurge, fakeSource, seedApps, seedSnapshot, uplinkStats,
} from './fixtures.ts'

const NODE = 7
const CLUSTER = 2

/**
 * The agent app with real token verification, against tokens from the control plane's real
 * signer (its own in-memory store): what the agent pinned, who it is and the epoch it heard
 * are steered by the test, as the uplink would set them.
 */
async function setup (t: Test) {
  const clock = fakeClock(SEED_TIME + 1000)
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const signer = createOperatorTokenSigner({ keys: store.operatorKeys, now: clock.now })
  const world = {
    pinned: [await signer.publicKey()] as OperatorTokenKey[],
    identity: { nodeId: NODE as number | null, clusterId: CLUSTER as number | null },
  }
  const { auth, introspection, log, lines } = await fakeOperatorAuth(clock, log => ({
    tokens: createOperatorTokenVerifier({
      keys: () => world.pinned,
      identity: () => world.identity,
      minEpoch: () => auth.currentEpoch!(),
      now: clock.now,
      log,
    }),
  }))
  const purge = fakePurge()
  const app = createAgentApp({
    source: fakeSource(seedSnapshot(), seedApps()),
    purge,
    auth,
    uplinkStats: () => uplinkStats(),
    hostname: 'gpu-host-01',
    staleAfterMs: 10 * 60_000,
    now: clock.now,
    log,
    processMetrics: false,
    authLimiter: null,
  })
  const mint = async (spec: Partial<MintOperatorToken> = {}) => (await signer.mint({
    audience: nodeAudience(NODE), actions: ['status', 'memory', 'purge'], ttlS: 300, keyId: 1, revocationEpoch: 0, ...spec,
  })).token
  const get = (path: string, token: string) => app.request(path, { headers: bearer(token) })
  return { app, clock, auth, introspection, world, mint, get, lines, purge, store }
}

t.test('a valid token is accepted locally: no introspection, the minting key id in the purge log', async t => {
  const s = await setup(t)
  const token = await s.mint()
  t.equal((await s.get('/v1/gpu/status', token)).status, 200)
  t.equal((await s.get('/v1/gpu/memory', token)).status, 200)
  const purged = await s.app.request('/v1/gpu/purge', { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{"force":false}' })
  t.equal(purged.status, 200)
  t.equal(s.introspection.state.calls, 0, 'the control plane was not asked')
  t.match(s.lines.join(''), /"key_id":1,"auth_via":"token","msg":"purge requested"/)
  t.notOk(s.lines.join('').includes(token), 'the token is never logged')
  t.equal((await s.get('/v1/gpu/status', await s.mint({ audience: clusterAudience(CLUSTER) }))).status, 200, 'a cluster token')
})

t.test('refusals: expired, other node, action not allowed, tampered, foreign key, nothing pinned, minted before a revocation', async t => {
  const s = await setup(t)
  const expect = async (token: string, status: number, message: RegExp, what: string, path = '/v1/gpu/status') => {
    const res = await s.get(path, token)
    t.equal(res.status, status, what)
    t.match(await res.json(), { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message }, what)
  }
  const statusOnly = await s.mint({ actions: ['status'] })
  await expect(statusOnly, 403, /does not allow gpu memory/, 'a status-only token cannot read memory', '/v1/gpu/memory')
  const purge = await s.app.request('/v1/gpu/purge', { method: 'POST', headers: { ...bearer(statusOnly), 'content-type': 'application/json' }, body: '{}' })
  t.equal(purge.status, 403, 'nor purge')
  t.equal(s.purge.calls.length, 0, 'nothing was purged')
  await expect(await s.mint({ audience: nodeAudience(8) }), 403, /another node/, 'a token for another node')
  await expect(await s.mint({ audience: clusterAudience(3) }), 403, /another node or cluster/, 'a token for another cluster')

  const token = await s.mint({ ttlS: 60 })
  s.clock.advance(60_000 + 29_000)
  t.equal((await s.get('/v1/gpu/status', token)).status, 200, 'within the 30 s clock-skew tolerance')
  s.clock.advance(1000)
  await expect(token, 401, /expired/, 'expired')

  const fresh = await s.mint()
  const [h, p, sig] = fresh.split('.')
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString())
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, aud: nodeAudience(NODE), scope: 'gpu:status gpu:memory gpu:purge', exp: payload.exp + 3600 })).toString('base64url')}.${sig}`
  await expect(forged, 401, /invalid operator token/, 'a changed payload')
  await expect(`${h}.${p}.${sig!.slice(0, -4)}AAAA`, 401, /invalid operator token/, 'a changed signature')
  await expect(`${Buffer.from('{"alg":"none","typ":"gpufleet-operator+jwt"}').toString('base64url')}.${p}.`, 401, /./, 'alg none (no signature part)')

  const other = await openSqliteStore(':memory:')
  t.teardown(() => other.close())
  const impostor = createOperatorTokenSigner({ keys: other.operatorKeys, now: s.clock.now })
  await expect((await impostor.mint({ audience: nodeAudience(NODE), actions: ['status'], ttlS: 300, keyId: 1, revocationEpoch: 0 })).token,
    401, /not pinned/, 'signed by another control plane\'s key')

  s.auth.revocationEpoch!(0)
  t.equal((await s.get('/v1/gpu/status', await s.mint({ revocationEpoch: 0 }))).status, 200)
  s.auth.revocationEpoch!(1)
  await expect(await s.mint({ revocationEpoch: 0 }), 401, /minted before an API key revocation/, 'minted before the epoch the agent heard')
  t.equal((await s.get('/v1/gpu/status', await s.mint({ revocationEpoch: 1 }))).status, 200, 'minted after it')

  s.world.identity = { nodeId: null, clusterId: null }
  await expect(await s.mint({ revocationEpoch: 1 }), 403, /another node/, 'not registered yet: no audience matches')
  s.world.pinned = []
  await expect(await s.mint({ revocationEpoch: 1 }), 401, /not pinned the control plane's operator-token key/, 'nothing pinned')
  await expect('a.b.c', 401, /./, 'garbage in the shape of a JWT')
  await expect(`${'A'.repeat(2100)}.b.c`, 401, /invalid or revoked API key/, 'an oversized token is refused before any work')
})

t.test('tokens keep working while the control plane is unreachable; so does the break-glass key', async t => {
  const s = await setup(t)
  s.introspection.state.mode = 'down'
  t.equal((await s.get('/v1/gpu/status', await s.mint())).status, 200, 'a token needs no call upstream')
  t.equal((await s.get('/v1/gpu/status', KEYS.breakGlass)).status, 200, 'the break-glass key, tokens configured')
  t.equal((await s.get('/v1/gpu/status', KEYS.operator)).status, 503, 'an ordinary key cannot be checked')
  t.equal(s.introspection.state.calls, 2, 'only the two keys were introspected')
})

t.test('a superadmin key sent directly still works (seed 004), introspected', async t => {
  const s = await setup(t)
  t.equal((await s.get('/v1/gpu/status', KEYS.operator)).status, 200)
  t.equal((await s.get('/v1/gpu/status', KEYS.reader)).status, 403)
  t.equal(s.introspection.state.calls, 2)
})
