// ISO 8601 date-time with Z or a numeric offset, or a bare date (UTC midnight). The offset sign
// may be a space: an unencoded '+' in a query string arrives as one (curl "…?since=…+08:00").
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+\- ])(\d{2}):?(\d{2})))?$/
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * Epoch ms for an ISO 8601 instant, or null when it is not one. A time needs Z or an offset
 * (a bare local time would silently mean the server's zone); fractions past milliseconds are
 * truncated. Calendar dates are checked (2026-02-30 is null, not March 2).
 */
export function parseInstant (text: string): number | null {
  const m = ISO.exec(text)
  if (m === null) return null
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]!) return null
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return null
  if (h !== undefined && zulu === undefined && sign === undefined) return null
  const hour = Number(h ?? 0)
  const minute = Number(mi ?? 0)
  const second = Number(s ?? 0)
  if (hour > 23 || minute > 59 || second > 59) return null
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  let offset = 0
  if (sign !== undefined) {
    if (Number(oh) > 23 || Number(om) > 59) return null
    offset = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1)
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, ms)
  return date.getTime() - offset * 60_000
}
