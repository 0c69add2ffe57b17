import type { Test } from 'tap'
import { importJWK, jwtVerify } from 'jose'
import type { Store } from '../../../control-plane/store/store.ts'
import { createOperatorTokenSigner } from '../../../control-plane/auth/create-operator-token-signer.ts'
import { mintApiKey } from '../../../control-plane/auth/mint-api-key.ts'
import { nodeAudience } from '../../../shared/wire/operator-token.ts'

/** Two stores on one database: two control-plane replicas. */
export type ReplicaFactory = () => Promise<[Store, Store]>

const T0 = Date.UTC(2026, 4, 9, 0, 30)

/** The operator-key repository contract, run by every engine (operator-keys*.test.ts). */
export function operatorKeysSuite (t: Test, openReplicas: ReplicaFactory): void {
  t.test('no key until one is added; the first writer wins, for every replica', async t => {
    const [a, b] = await openReplicas()
    t.equal(await a.operatorKeys.activeSigningKey(), null)
    const [ka, kb] = await Promise.all([
      a.operatorKeys.addSigningKeyIfNone({ kid: 'kid-a', alg: 'EdDSA', publicJwk: '{"x":"a"}', privateJwk: '{"d":"a","x":"a"}', createdAt: T0 }),
      b.operatorKeys.addSigningKeyIfNone({ kid: 'kid-b', alg: 'EdDSA', publicJwk: '{"x":"b"}', privateJwk: '{"d":"b","x":"b"}', createdAt: T0 + 1 }),
    ])
    t.same(ka, kb, 'both replicas end up with the same key')
    t.ok(ka.kid === 'kid-a' || ka.kid === 'kid-b')
    t.same(await b.operatorKeys.activeSigningKey(), ka)
    t.equal(ka.retiredAt, null)
    t.same(JSON.parse(ka.privateJwk).d, ka.kid === 'kid-a' ? 'a' : 'b', 'the private JWK round-trips')
  })

  t.test('two replicas\' signers make one key pair: a token from one verifies with the key the other publishes', async t => {
    const [a, b] = await openReplicas()
    const sa = createOperatorTokenSigner({ keys: a.operatorKeys, now: () => T0 })
    const sb = createOperatorTokenSigner({ keys: b.operatorKeys, now: () => T0 })
    const [pa, pb] = await Promise.all([sa.publicKey(), sb.publicKey()])
    t.same(pa, pb)
    const minted = await sa.mint({ audience: nodeAudience(1), actions: ['status'], ttlS: 60, keyId: 1, revocationEpoch: 0 })
    const { payload } = await jwtVerify(minted.token, await importJWK(pb, 'EdDSA'), { currentDate: new Date(T0) })
    t.equal(payload.aud, nodeAudience(1))
    t.equal(minted.expiresAt, T0 + 60_000)
  })

  t.test('the revocation epoch counts revocations and only grows', async t => {
    const [a, b] = await openReplicas()
    t.equal(await a.operatorKeys.revocationEpoch(), 0)
    const keep = await mintApiKey(a.apiKeys, { label: 'keep', permissions: ['superadmin'], createdAt: T0 })
    const k1 = await mintApiKey(a.apiKeys, { label: 'one', permissions: ['read'], createdAt: T0 })
    const k2 = await mintApiKey(a.apiKeys, { label: 'two', permissions: ['superadmin'], createdAt: T0 })
    t.equal(await b.operatorKeys.revocationEpoch(), 0, 'creating keys does not move it')
    await a.apiKeys.revoke(k1.record.id, T0 + 1)
    t.equal(await b.operatorKeys.revocationEpoch(), 1, 'the other replica sees it')
    await b.apiKeys.revoke(k2.record.id, T0 + 2)
    await b.apiKeys.revoke(k2.record.id, T0 + 3)
    t.equal(await a.operatorKeys.revocationEpoch(), 2, 'revoking a revoked key again does not move it')
    t.equal((await a.apiKeys.revoke(keep.record.id, T0 + 4)).status, 'last-superadmin')
    t.equal(await a.operatorKeys.revocationEpoch(), 2, 'a refused revoke does not move it')
  })
}
