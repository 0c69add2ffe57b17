export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

/**
 * The one backoff: the delay before retry number `attempt` (1-based: attempt failures so far),
 * initialMs doubling up to maxMs. The collector's respawns, the uplink's retries (with jitter on
 * top), alert webhooks and the SDK's retries all wait this long.
 */
export function backoffDelay (attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1))
}
