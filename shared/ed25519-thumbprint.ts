import { createHash } from 'node:crypto'

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public JWK: the required members
 * in lexicographic order, no whitespace. Used as the key's `kid`, so the id names the key
 * itself and a key cannot be passed off under another's id.
 */
export function ed25519Thumbprint (x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'utf8').digest('base64url')
}
