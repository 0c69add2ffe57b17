import { zoneOffset } from '../../shared/zone-offset.ts'

const MINUTE = 60_000
// No zone in the tz database changes offset twice within 6 hours, so probing this often finds
// every change; each one is then bisected to its minute.
const PROBE = 6 * 3_600_000

/** A span of constant UTC offset: [start, end), with the first and last unbounded. */
export interface OffsetSegment {
  start: number
  end: number
  offsetMinutes: number
}

/**
 * The zone's offset changes between fromMs and toMs as constant-offset segments, so callers
 * can do plain arithmetic inside each. Changes are found on whole minutes (every modern
 * offset is whole minutes, and changes happen on them).
 */
export function offsetSegments (timeZone: string, fromMs: number, toMs: number): OffsetSegment[] {
  let t = Math.floor(fromMs / MINUTE) * MINUTE
  let offset = zoneOffset(timeZone, t)
  const segments: OffsetSegment[] = [{ start: -Infinity, end: Infinity, offsetMinutes: offset }]
  if (timeZone === 'UTC') return segments
  while (t < toMs) {
    const next = Math.min(t + PROBE, Math.ceil(toMs / MINUTE) * MINUTE)
    const nextOffset = zoneOffset(timeZone, next)
    if (nextOffset !== offset) {
      let lo = t
      let hi = next
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / (2 * MINUTE)) * MINUTE
        if (zoneOffset(timeZone, mid) === offset) lo = mid
        else hi = mid
      }
      const last = segments[segments.length - 1]!
      last.end = hi
      segments.push({ start: hi, end: Infinity, offsetMinutes: nextOffset })
    }
    t = next
    offset = nextOffset
  }
  return segments
}

/**
 * The instant a wall-clock bucket start means, for a bucket met in segment `index`: the
 * latest instant at or before that segment whose local time is `wallMs`. So after a
 * fall-back the repeated hour gives two buckets (one per offset) instead of one merged one,
 * and a wall time skipped by a spring-forward resolves to the instant of the change.
 */
export function resolveWall (wallMs: number, index: number, segments: readonly OffsetSegment[]): number {
  for (let j = index; j >= 0; j--) {
    const seg = segments[j]!
    const at = wallMs - seg.offsetMinutes * MINUTE
    if (at >= seg.start) return Math.min(at, seg.end)
  }
  return wallMs - segments[0]!.offsetMinutes * MINUTE
}

/** The offset in effect at `ms`. */
export function offsetAt (ms: number, segments: readonly OffsetSegment[]): number {
  for (let j = segments.length - 1; j >= 0; j--) {
    if (ms >= segments[j]!.start) return segments[j]!.offsetMinutes
  }
  return segments[0]!.offsetMinutes
}
