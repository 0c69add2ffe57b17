export interface AuthFailureLimiter {
  /** 0 when the client may try again now, else how long until it may (ms). */
  retryAfterMs: (client: string) => number
  /** Record one failed attempt (an invalid key) by this client. */
  fail: (client: string) => void
}

export interface AuthFailureLimiterOptions {
  /** Failures a client may make back to back. */
  burst?: number
  /** One failure is forgiven every this many ms (the bucket's refill rate). */
  refillEveryMs?: number
  /** Clients tracked at most; the longest-unseen one is forgotten first. */
  maxClients?: number
  now?: () => number
}

interface Bucket {
  tokens: number
  updatedAt: number
}

/**
 * A token bucket per client address, spent only by failed attempts: an operator with a valid
 * key is never slowed, while guessing keys (and making the agent ask the control plane about
 * each guess) is held to `burst` tries, then one per `refillEveryMs`. In memory: a restart
 * forgives everyone, which is fine for a brake on guessing.
 */
export function createAuthFailureLimiter (options: AuthFailureLimiterOptions = {}): AuthFailureLimiter {
  const burst = positiveInteger(options.burst ?? 10, 'burst')
  const refillEveryMs = positiveInteger(options.refillEveryMs ?? 6000, 'refillEveryMs')
  const maxClients = positiveInteger(options.maxClients ?? 10_000, 'maxClients')
  const now = options.now ?? Date.now
  const buckets = new Map<string, Bucket>()

  function current (client: string): Bucket | undefined {
    const bucket = buckets.get(client)
    if (bucket === undefined) return undefined
    const at = now()
    const refilled = Math.min(burst, bucket.tokens + (at - bucket.updatedAt) / refillEveryMs)
    if (refilled >= burst) {
      buckets.delete(client)
      return undefined
    }
    bucket.tokens = refilled
    bucket.updatedAt = at
    return bucket
  }

  return {
    retryAfterMs (client) {
      const bucket = current(client)
      if (bucket === undefined || bucket.tokens >= 1) return 0
      return Math.ceil((1 - bucket.tokens) * refillEveryMs)
    },
    fail (client) {
      const bucket = current(client) ?? { tokens: burst, updatedAt: now() }
      bucket.tokens = Math.max(0, bucket.tokens - 1)
      // Re-insert so Map order is least recently failed first.
      buckets.delete(client)
      if (buckets.size >= maxClients) {
        const oldest = buckets.keys().next()
        if (oldest.done !== true) buckets.delete(oldest.value)
      }
      buckets.set(client, bucket)
    },
  }
}

function positiveInteger (value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TypeError(`createAuthFailureLimiter: ${name} must be a positive integer, got ${String(value)}`)
  }
  return value
}
