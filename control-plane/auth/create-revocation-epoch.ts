/**
 * The revocation epoch as this replica last read it (OperatorKeyRepository.revocationEpoch),
 * reread at most every `maxAgeMs`: it goes into every push acknowledgement (2,000 agents at
 * 1 Hz), so one read a second serves them all, and a revoke on any replica reaches every
 * agent within maxAgeMs plus one push. A failed read keeps the last value (null before one).
 */
export interface RevocationEpoch {
  /** The epoch, reread if older than maxAgeMs; null if it was never read. */
  current: () => Promise<number | null>
  /** Read now (minting: a token must not carry an older epoch than its agent has seen). */
  fresh: () => Promise<number>
}

export function createRevocationEpoch (deps: { read: () => Promise<number>, now?: () => number, maxAgeMs?: number }): RevocationEpoch {
  // Monotonic by default: a wall-clock step must not freeze or hurry the reread.
  const { read, now = () => performance.now(), maxAgeMs = 1000 } = deps
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new TypeError(`createRevocationEpoch: maxAgeMs must be ≥ 0, got ${maxAgeMs}`)
  let value: number | null = null
  let readAt = -Infinity
  let pending: Promise<number> | null = null

  function reread (): Promise<number> {
    pending ??= read()
      .then(n => { value = n; readAt = now(); return n })
      .finally(() => { pending = null })
    return pending
  }

  return {
    async current () {
      if (value !== null && now() - readAt < maxAgeMs) return value
      try {
        return await reread()
      } catch {
        return value
      }
    },
    fresh: reread,
  }
}
