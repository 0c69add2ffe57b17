import { backoffDelay } from '../../shared/backoff-delay.ts'

export interface BackoffOptions {
  initialMs?: number
  maxMs?: number
  /** 0..1: each delay is spread by ± this fraction so a fleet that lost the same control plane doesn't return in lockstep. */
  jitter?: number
  random?: () => number
}

export interface Backoff {
  /** The delay to wait before the next attempt; doubles each call up to maxMs. */
  next: () => number
  reset: () => void
}

export function createBackoff ({ initialMs = 1000, maxMs = 30_000, jitter = 0.2, random = Math.random }: BackoffOptions = {}): Backoff {
  if (!(initialMs > 0)) throw new RangeError('backoff initialMs must be > 0')
  if (!(maxMs >= initialMs)) throw new RangeError('backoff maxMs must be >= initialMs')
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError('backoff jitter must be in [0, 1)')
  let attempt = 0
  return {
    next () {
      attempt++
      const base = backoffDelay(attempt, { initialMs, maxMs })
      const spread = base * jitter * (random() * 2 - 1)
      return Math.max(1, Math.round(base + spread))
    },
    reset () { attempt = 0 },
  }
}
