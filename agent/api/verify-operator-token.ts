import {
  OPERATOR_TOKEN_ALG, OPERATOR_TOKEN_ISSUER, OPERATOR_TOKEN_MAX_TTL_S, OPERATOR_TOKEN_TYP,
  actionScope, clusterAudience, nodeAudience, type OperatorAction, type OperatorTokenKey,
} from '../../shared/wire/operator-token.ts'
import type { ApiLogger } from './api-logger.ts'

export interface TokenVerdict {
  verdict: 'ok' | 'unauthorized' | 'forbidden'
  /** The minting superadmin key's id (claim sub), for audit logs. */
  keyId: number | null
  /** Why not ok, for the response message (never the token). */
  reason: string
}

export interface OperatorTokenVerifierOptions {
  /** The pinned keys (from the agent's state file). */
  keys: () => readonly OperatorTokenKey[]
  /** This node as the control plane knows it (null before the first registration). */
  identity: () => { nodeId: number | null, clusterId: number | null }
  /** The newest revocation epoch heard from the control plane; tokens minted before it are refused. */
  minEpoch: () => number | null
  now?: () => number
  /** Seconds of clock skew tolerated on nbf/exp (the agent's clock against the control plane's). */
  clockToleranceS?: number
  log?: ApiLogger
}

export interface OperatorTokenVerifier {
  verify: (token: string, action: OperatorAction | undefined) => Promise<TokenVerdict>
}

type Jose = typeof import('jose/jwt/verify') & typeof import('jose/key/import')
type VerifyKey = Awaited<ReturnType<Jose['importJWK']>>

/**
 * Checks an operator token locally: no call to the control plane, so it works while the
 * control plane is down. jose is imported on the first token only (subpath imports, ~1.5 MB
 * of RSS; an agent that never sees a token never loads it) — docs/performance.md.
 */
export function createOperatorTokenVerifier (options: OperatorTokenVerifierOptions): OperatorTokenVerifier {
  const { keys, identity, minEpoch, log } = options
  const now = options.now ?? Date.now
  const clockToleranceS = options.clockToleranceS ?? 30
  let jose: Promise<Jose> | null = null
  const imported = new Map<string, Promise<VerifyKey>>()

  function loadJose (): Promise<Jose> {
    jose ??= Promise.all([import('jose/jwt/verify'), import('jose/key/import')]).then(([v, k]) => ({ ...v, ...k }))
    return jose
  }

  function keyFor (j: Jose, key: OperatorTokenKey): Promise<VerifyKey> {
    // Keyed by kid and x together: a re-pinned key with a reused kid cannot hit a stale entry.
    const id = `${key.kid}:${key.x}`
    let k = imported.get(id)
    if (k === undefined) {
      k = j.importJWK({ kty: 'OKP', crv: 'Ed25519', x: key.x }, OPERATOR_TOKEN_ALG)
      imported.set(id, k)
    }
    return k
  }

  const refuse = (verdict: 'unauthorized' | 'forbidden', reason: string, keyId: number | null = null): TokenVerdict => ({ verdict, keyId, reason })

  return {
    async verify (token, action) {
      const pinned = keys()
      if (pinned.length === 0) return refuse('unauthorized', 'this agent has not pinned the control plane\'s operator-token key yet (it has not registered)')
      const j = await loadJose()
      let payload: Record<string, unknown>
      try {
        ({ payload } = await j.jwtVerify(token, async header => {
          const key = pinned.find(k => k.kid === header.kid)
          if (key === undefined) throw Object.assign(new Error('unknown kid'), { code: 'UNKNOWN_KID' })
          return keyFor(j, key)
        }, {
          algorithms: [OPERATOR_TOKEN_ALG],
          typ: OPERATOR_TOKEN_TYP,
          issuer: OPERATOR_TOKEN_ISSUER,
          currentDate: new Date(now()),
          clockTolerance: clockToleranceS,
          requiredClaims: ['exp', 'iat', 'nbf', 'jti', 'sub', 'aud'],
        }))
      } catch (err) {
        const code = (err as { code?: unknown }).code
        log?.info({ reason: typeof code === 'string' ? code : 'invalid' }, 'operator token refused')
        if (code === 'ERR_JWT_EXPIRED') return refuse('unauthorized', 'operator token expired; mint a new one')
        if (code === 'UNKNOWN_KID') return refuse('unauthorized', 'operator token signed by a key this agent has not pinned')
        return refuse('unauthorized', 'invalid operator token')
      }
      const keyId = subjectKeyId(payload.sub)
      const { iat, exp, rev, aud, scope } = payload
      // Signed, but longer-lived than the control plane ever mints: refuse rather than trust it.
      if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > OPERATOR_TOKEN_MAX_TTL_S) {
        return refuse('unauthorized', `operator token lives longer than ${OPERATOR_TOKEN_MAX_TTL_S} s`, keyId)
      }
      const epoch = minEpoch()
      if (typeof rev !== 'number' || (epoch !== null && rev < epoch)) {
        return refuse('unauthorized', 'operator token was minted before an API key revocation; mint a new one', keyId)
      }
      const { nodeId, clusterId } = identity()
      const audiences = Array.isArray(aud) ? aud : [aud]
      const mine = [nodeId === null ? null : nodeAudience(nodeId), clusterId === null ? null : clusterAudience(clusterId)]
      if (!audiences.some(a => typeof a === 'string' && mine.includes(a))) {
        return refuse('forbidden', 'operator token is for another node or cluster', keyId)
      }
      const scopes = typeof scope === 'string' ? scope.split(' ') : []
      if (action === undefined || !scopes.includes(actionScope(action))) {
        return refuse('forbidden', `operator token does not allow ${action === undefined ? 'this request' : `gpu ${action}`}`, keyId)
      }
      return { verdict: 'ok', keyId, reason: '' }
    },
  }
}

function subjectKeyId (sub: unknown): number | null {
  const m = typeof sub === 'string' ? /^key:([1-9][0-9]{0,15})$/.exec(sub) : null
  return m === null ? null : Number(m[1])
}
