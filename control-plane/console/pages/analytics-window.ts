const DAY = 86_400_000
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DEFAULT_DAYS = 30

/**
 * The page's date range as whole UTC days [from, to]: the API window is since = from 00:00:00
 * and until = to 23:59:59 + 1 s (seed 001: "the page sends until = end + 1s to make the range
 * inclusive"). Default: the 30 days ending today; a bad or reversed pick falls back to it; at
 * most 400 days.
 */
export function analyticsWindow (from: string | undefined, to: string | undefined, now: number): { from: string, to: string, since: string, until: string } {
  const day = (s: string | undefined): number | null => {
    if (s === undefined || !DATE.test(s)) return null
    const ms = Date.parse(`${s}T00:00:00Z`)
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s ? null : ms
  }
  let end = day(to) ?? Math.floor(now / DAY) * DAY
  let start = day(from) ?? end - (DEFAULT_DAYS - 1) * DAY
  if (start > end || end - start >= 400 * DAY) { end = Math.floor(now / DAY) * DAY; start = end - (DEFAULT_DAYS - 1) * DAY }
  const endInclusive = end + DAY - 1000
  return {
    from: new Date(start).toISOString().slice(0, 10),
    to: new Date(end).toISOString().slice(0, 10),
    since: new Date(start).toISOString(),
    until: new Date(endInclusive + 1000).toISOString(),
  }
}
