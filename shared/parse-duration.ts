const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/
const PART = /(\d+)(ms|s|m|h|d)/g

/**
 * `8h`, `30m`, `1h30m`, `90s`, `1d` → milliseconds; null for anything else (a bare number is
 * refused: "8" could mean hours or milliseconds, and a config error beats a 8 ms session).
 */
export function parseDuration (text: string): number | null {
  const s = text.trim()
  if (!DURATION.test(s)) return null
  let ms = 0
  for (const [, n, unit] of s.matchAll(PART)) ms += Number(n) * (UNIT_MS[unit as string] as number)
  return Number.isSafeInteger(ms) ? ms : null
}
