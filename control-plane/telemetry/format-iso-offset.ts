const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * ISO 8601 with an explicit numeric offset, the shape seed 000 shows
 * (`2026-04-26T00:05:00+09:00`, and `+00:00` rather than `Z` for UTC). Milliseconds appear
 * only when non-zero, so whole-second samples and bucket starts read like the seed.
 */
export function formatIsoOffset (ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000)
  const frac = d.getUTCMilliseconds() === 0 ? '' : `.${pad(d.getUTCMilliseconds(), 3)}`
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}
