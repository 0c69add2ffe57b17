/**
 * The control plane's operator-token signing keys (Ed25519, as JWKs) and the revocation epoch
 * agents follow. Stored so every replica on one database signs with the same key; the private
 * JWK never leaves the control plane (only the public one is published, at registration).
 * Rotation is planned by `kid` (the public key's RFC 7638 thumbprint) and `retiredAt`: one key
 * is active at a time, retired ones stay for the audit trail.
 */
export interface OperatorKeyRecord {
  kid: string
  alg: 'EdDSA'
  /** Public JWK as JSON text (kty, crv, x). */
  publicJwk: string
  /** Private JWK as JSON text (kty, crv, x, d). */
  privateJwk: string
  createdAt: number
  retiredAt: number | null
}

export type NewOperatorKey = Omit<OperatorKeyRecord, 'retiredAt'>

export interface OperatorKeyRepository {
  /** The key tokens are signed with now, or null before the first one is made. */
  activeSigningKey: () => Promise<OperatorKeyRecord | null>
  /**
   * Stores `key` as the active signing key unless one is active already, and returns the
   * active one: replicas starting together race here and all end up with the first writer's.
   */
  addSigningKeyIfNone: (key: NewOperatorKey) => Promise<OperatorKeyRecord>
  /**
   * How many API keys were ever revoked. Revocation is a soft delete that is never undone, so
   * the count only grows: agents drop their cached key verdicts (and refuse tokens minted under
   * an older epoch) when it changes.
   */
  revocationEpoch: () => Promise<number>
}
