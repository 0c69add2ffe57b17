/** Billing days are UTC days: invoices, usage by day and the revenue trend all cut at 00:00 UTC. */
export const DAY_MS = 86_400_000

export function startOfUtcDay (ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS
}

/** '2026-05-09' for any instant of that UTC day. */
export function utcDate (ms: number): string {
  return new Date(startOfUtcDay(ms)).toISOString().slice(0, 10)
}
