import { ed25519Thumbprint } from '../../shared/ed25519-thumbprint.ts'
import type { OperatorTokenKey } from '../../shared/wire/operator-token.ts'
import type { AgentStateStore } from './open-agent-state.ts'
import type { UplinkLog } from './uplink-log.ts'

export type PinOutcome = 'pinned' | 'same' | 'repinned' | 'refused' | 'malformed' | 'absent'

export interface PinOperatorKeyOptions {
  state: AgentStateStore
  /** `operator_token_key` from the registration answer, as received. */
  offered: unknown
  /** --repin-operator-key: the kid (thumbprint) of the one key that may replace the pinned one. */
  repinKid?: string | undefined
  log: UplinkLog
  /** kids already complained about, so a heartbeat every 30 s does not repeat the error. */
  warned: Set<string>
}

/**
 * Trust on first use, then pinned: the first key the control plane offers is stored; a
 * different key later is refused (logged, tokens signed by it answer 401) unless the
 * operator names its kid with --repin-operator-key. A control plane that lost its store,
 * or an impostor on the path to it, cannot hand the agent a key of its choosing.
 */
export async function pinOperatorKey (o: PinOperatorKeyOptions): Promise<PinOutcome> {
  if (o.offered === undefined) return 'absent'
  const key = parseKey(o.offered)
  if (key === null) {
    if (!o.warned.has('')) o.log.warn({}, 'control plane sent a malformed operator_token_key; ignored')
    o.warned.add('')
    return 'malformed'
  }
  const pinned = o.state.get().operatorTokenKeys
  if (pinned.some(k => k.kid === key.kid)) return 'same'
  if (pinned.length === 0) {
    await o.state.update({ operatorTokenKeys: [key] })
    o.log.info({ kid: key.kid }, 'pinned the control plane\'s operator-token key')
    return 'pinned'
  }
  if (o.repinKid === key.kid) {
    await o.state.update({ operatorTokenKeys: [key] })
    o.log.warn({ kid: key.kid, replaced: pinned.map(k => k.kid) }, 'replaced the pinned operator-token key as --repin-operator-key asked')
    return 'repinned'
  }
  if (!o.warned.has(key.kid)) {
    o.log.error({ offered: key.kid, pinned: pinned.map(k => k.kid) },
      'control plane offered a different operator-token key than the pinned one; kept the pinned key (tokens signed by the new one are refused). ' +
      'If the control plane\'s key really changed, restart the agent with --repin-operator-key <offered kid>')
    o.warned.add(key.kid)
  }
  return 'refused'
}

function parseKey (value: unknown): OperatorTokenKey | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const { kid, kty, crv, x, alg } = value as Record<string, unknown>
  if (kty !== 'OKP' || crv !== 'Ed25519' || (alg !== undefined && alg !== 'EdDSA')) return null
  // 32 bytes of public key in base64url, no padding.
  if (typeof x !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(x)) return null
  // The kid must be the key's own thumbprint: an id cannot be borrowed for another key.
  if (typeof kid !== 'string' || kid !== ed25519Thumbprint(x)) return null
  return { kid, kty, crv, x, alg: 'EdDSA', use: 'sig' }
}
