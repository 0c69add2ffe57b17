import { hash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The `gfk_` key format in one place (generation, hashing, the shape a presented key must
 * have before it costs a store lookup). Kept together because each half is meaningless
 * without the other.
 */
export const API_KEY_PREFIX = 'gfk_'

/** Seed 003: `key_prefix` is the first 12 characters (`gfk_` + 8), enough to tell keys apart. */
export const KEY_PREFIX_LENGTH = 12

// Generated keys are gfk_ + 64 hex (32 random bytes). GPUFLEET_ADMIN_KEY may be any gfk_
// value with at least 32 visible ASCII characters after the prefix (DESIGN.md), so the
// accepted shape is that wider one; 256 bounds the work an attacker can make us hash.
const PRESENTABLE = /^gfk_[\x21-\x7e]{32,256}$/

export function generateApiKey (): string {
  return API_KEY_PREFIX + randomBytes(32).toString('hex')
}

export function hashApiKey (key: string): string {
  // One-shot: no Hash object per request on the auth path.
  return hash('sha256', key, 'hex')
}

export function keyPrefixOf (key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH)
}

/** Whether `key` can be a gfk_ key at all (else it is rejected without a lookup). */
export function isPresentableApiKey (key: string): boolean {
  return PRESENTABLE.test(key)
}

/** Constant-time comparison of two SHA-256 hex digests. */
export function hashesEqual (a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y)
}
