import { randomBytes } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose'
import { ed25519Thumbprint } from '../../shared/ed25519-thumbprint.ts'
import {
  OPERATOR_TOKEN_ALG, OPERATOR_TOKEN_ISSUER, OPERATOR_TOKEN_MAX_TTL_S, OPERATOR_TOKEN_TYP, actionScope,
  type OperatorAction, type OperatorTokenKey,
} from '../../shared/wire/operator-token.ts'
import type { OperatorKeyRepository } from '../store/operator-key-repository.ts'

export interface MintOperatorToken {
  /** nodeAudience(id) or clusterAudience(id). */
  audience: string
  actions: readonly OperatorAction[]
  /** 1..OPERATOR_TOKEN_MAX_TTL_S. */
  ttlS: number
  /** The superadmin key minting it (audit: the agent logs `sub`). */
  keyId: number | null
  /** The revocation epoch read at minting (claim `rev`). */
  revocationEpoch: number
}

export interface MintedOperatorToken {
  token: string
  kid: string
  /** Epoch ms. */
  issuedAt: number
  expiresAt: number
}

export interface OperatorTokenSigner {
  mint: (spec: MintOperatorToken) => Promise<MintedOperatorToken>
  /** The public half of the signing key, for the registration answer. */
  publicKey: () => Promise<OperatorTokenKey>
}

interface Loaded { kid: string, privateKey: CryptoKey, publicKey: OperatorTokenKey }

/**
 * Signs operator tokens with the store's Ed25519 key. The key pair is made once per store (the
 * first replica to need it generates it; the store keeps the first writer's), then read back
 * and held in memory. Lazy, so a control plane whose agents never see a token costs nothing.
 */
export function createOperatorTokenSigner (deps: { keys: OperatorKeyRepository, now?: () => number }): OperatorTokenSigner {
  const { keys, now = Date.now } = deps
  let loading: Promise<Loaded> | null = null

  async function load (): Promise<Loaded> {
    let record = await keys.activeSigningKey()
    if (record === null) {
      const pair = await generateKeyPair('Ed25519', { extractable: true })
      const pub = await exportJWK(pair.publicKey)
      const priv = await exportJWK(pair.privateKey)
      record = await keys.addSigningKeyIfNone({
        kid: ed25519Thumbprint(pub.x!),
        alg: 'EdDSA',
        publicJwk: JSON.stringify({ kty: pub.kty, crv: pub.crv, x: pub.x }),
        privateJwk: JSON.stringify(priv),
        createdAt: now(),
      })
    }
    const pub = JSON.parse(record.publicJwk) as { x: string }
    const privateKey = await importJWK(JSON.parse(record.privateJwk) as Record<string, string>, OPERATOR_TOKEN_ALG) as CryptoKey
    return {
      kid: record.kid,
      privateKey,
      publicKey: { kid: record.kid, kty: 'OKP', crv: 'Ed25519', x: pub.x, alg: 'EdDSA', use: 'sig' },
    }
  }

  function loaded (): Promise<Loaded> {
    // A failed load (store down) is retried by the next caller instead of remembered.
    loading ??= load().catch((err: unknown) => { loading = null; throw err })
    return loading
  }

  return {
    async mint (spec) {
      if (!Number.isInteger(spec.ttlS) || spec.ttlS < 1 || spec.ttlS > OPERATOR_TOKEN_MAX_TTL_S) {
        throw new RangeError(`operator token ttl must be 1..${OPERATOR_TOKEN_MAX_TTL_S} s, got ${spec.ttlS}`)
      }
      const key = await loaded()
      const iat = Math.floor(now() / 1000)
      const exp = iat + spec.ttlS
      const token = await new SignJWT({ scope: spec.actions.map(actionScope).join(' '), rev: spec.revocationEpoch })
        .setProtectedHeader({ alg: OPERATOR_TOKEN_ALG, kid: key.kid, typ: OPERATOR_TOKEN_TYP })
        .setIssuer(OPERATOR_TOKEN_ISSUER)
        .setSubject(spec.keyId === null ? 'key:unknown' : `key:${spec.keyId}`)
        .setAudience(spec.audience)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(exp)
        .setJti(randomBytes(16).toString('base64url'))
        .sign(key.privateKey)
      return { token, kid: key.kid, issuedAt: iat * 1000, expiresAt: exp * 1000 }
    },
    async publicKey () {
      return (await loaded()).publicKey
    },
  }
}
