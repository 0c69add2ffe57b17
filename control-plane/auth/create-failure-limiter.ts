/**
 * A token bucket per key (a client address, a caller's key id) that only failures drain:
 * `capacity` failures in a burst, refilled at `capacity` per `windowMs`. Successful
 * requests cost nothing, so a busy agent with a good key is never slowed.
 */
export interface FailureLimiter {
  /** 0 when `key` may try again now, else milliseconds until it may. */
  retryAfterMs: (key: string) => number
  /** Records one failure for `key`. */
  fail: (key: string) => void
  /** Buckets held in memory (bounded by maxEntries). */
  size: () => number
}

export interface FailureLimiterOptions {
  capacity: number
  windowMs?: number
  now?: () => number
  /** Memory bound: beyond it, refilled buckets go first, then the least recently failed. */
  maxEntries?: number
}

interface Bucket { tokens: number, at: number }

export function createFailureLimiter (options: FailureLimiterOptions): FailureLimiter {
  const { capacity, windowMs = 60_000, now = Date.now, maxEntries = 10_000 } = options
  if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError(`createFailureLimiter: capacity must be a positive integer, got ${capacity}`)
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new TypeError(`createFailureLimiter: windowMs must be positive, got ${windowMs}`)
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError(`createFailureLimiter: maxEntries must be a positive integer, got ${maxEntries}`)
  const perMs = capacity / windowMs
  const buckets = new Map<string, Bucket>()

  function current (key: string, t: number): Bucket | undefined {
    const b = buckets.get(key)
    if (b === undefined) return undefined
    b.tokens = Math.min(capacity, b.tokens + (t - b.at) * perMs)
    b.at = t
    return b
  }

  function evict (t: number) {
    for (const [key, b] of buckets) {
      if (b.tokens + (t - b.at) * perMs >= capacity) buckets.delete(key)
    }
    // Map order is insertion order and fail() re-inserts, so the first are the stalest.
    for (const key of buckets.keys()) {
      if (buckets.size <= maxEntries) break
      buckets.delete(key)
    }
  }

  return {
    retryAfterMs (key) {
      const b = current(key, now())
      if (b === undefined || b.tokens >= 1) return 0
      return Math.ceil((1 - b.tokens) / perMs)
    },
    fail (key) {
      const t = now()
      const b = current(key, t) ?? { tokens: capacity, at: t }
      b.tokens -= 1
      buckets.delete(key)
      buckets.set(key, b)
      if (buckets.size > maxEntries) evict(t)
    },
    size: () => buckets.size,
  }
}
