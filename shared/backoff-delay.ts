export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

/** Delay before restart number `attempt` (1-based) of a run of failures: doubling, capped. */
export function backoffDelay (attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1))
}
