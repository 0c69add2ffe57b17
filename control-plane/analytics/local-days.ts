import { offsetSegments } from '../telemetry/offset-segments.ts'

const DAY = 86_400_000

/** A span of instants [start, end). */
export interface Span {
  start: number
  end: number
}

/** One calendar day in a zone, as the instants of [since, until) that fall on it. */
export interface LocalDay {
  /** YYYY-MM-DD in the zone. */
  date: string
  /** Usually one span; more only where a zone's clock went back across midnight. */
  spans: Span[]
}

/**
 * Splits [since, until) into the calendar days of IANA zone `tz`, DST-correct: the window is
 * cut at every offset change first, so inside each piece the offset is constant and local
 * midnight is plain arithmetic (days of 23 or 25 hours fall out; any offset works, +05:30
 * and +05:45 included). Ordered by date.
 */
export function localDays (tz: string, since: number, until: number): LocalDay[] {
  if (!(until > since)) return []
  const segments = offsetSegments(tz, since, until)
  const days = new Map<number, LocalDay>()
  let s = 0
  let t = since
  while (t < until) {
    while (segments[s]!.end <= t) s++
    const seg = segments[s]!
    const offset = seg.offsetMinutes * 60_000
    const key = Math.floor((t + offset) / DAY)
    const end = Math.min((key + 1) * DAY - offset, seg.end, until)
    let day = days.get(key)
    if (day === undefined) days.set(key, day = { date: new Date(key * DAY).toISOString().slice(0, 10), spans: [] })
    const last = day.spans[day.spans.length - 1]
    if (last !== undefined && last.end === t) last.end = end
    else day.spans.push({ start: t, end })
    t = end
  }
  return [...days.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1])
}
