/** Exponential backoff before retry `attempt` + 1 (attempt ≥ 1 failed so far): base, 2×base, 4×base, … capped at max. */
export function backoffDelay (attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
}
