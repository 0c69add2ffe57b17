import type { TelemetryRepository, TelemetryScope } from '../store/telemetry-repository.ts'
import { offsetAt, offsetSegments, resolveWall } from './offset-segments.ts'
import { formatIsoOffset } from './format-iso-offset.ts'

const MINUTE = 60_000
const DAY = 86_400_000

export interface PowerHistoryRequest {
  scope: TelemetryScope
  days: number
  bucketMinutes: number
  /** Canonical IANA zone (canonicalTimeZone); buckets start at local midnight + k × bucketMinutes. */
  timeZone: string
  now: number
}

export interface PowerHistoryPoint {
  recorded_at: string
  power_draw_w: number
}

/**
 * Seed 000's power history over the last `days` (to the minute, current minute included):
 * per bucket the MAX of the per-second sum over every GPU in scope, read from the rollups
 * (exact for any bucket size and zone, since both are whole minutes). The range is split at
 * the zone's offset changes; each piece is bucketed by the store under its fixed offset and
 * the wall-clock bucket starts are turned back into instants here.
 */
export async function queryPowerHistory (
  repo: Pick<TelemetryRepository, 'powerBuckets'>, req: PowerHistoryRequest,
): Promise<PowerHistoryPoint[]> {
  const toMs = Math.floor(req.now / MINUTE) * MINUTE + MINUTE
  const fromMs = Math.floor((req.now - req.days * DAY) / MINUTE) * MINUTE
  // Probed from two days early: the bucket holding fromMs (≤ 1 day long) may start before it,
  // under an earlier offset.
  const segments = offsetSegments(req.timeZone, fromMs - 2 * DAY, toMs)
  const byInstant = new Map<number, number>()
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const lo = Math.max(seg.start, fromMs)
    const hi = Math.min(seg.end, toMs)
    if (lo >= hi) continue
    const buckets = await repo.powerBuckets({
      scope: req.scope, fromMs: lo, toMs: hi, offsetMinutes: seg.offsetMinutes, bucketMinutes: req.bucketMinutes,
    })
    for (const b of buckets) {
      // A bucket that spans an offset change comes back once per segment: same instant, MAX.
      const at = resolveWall(b.wallMs, i, segments)
      const prev = byInstant.get(at)
      byInstant.set(at, prev === undefined ? b.powerDrawW : Math.max(prev, b.powerDrawW))
    }
  }
  return [...byInstant.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, watts]) => ({
      recorded_at: formatIsoOffset(at, offsetAt(at, segments)),
      // Sums of floats: round away the 1e-13 noise, keep the seed's one-decimal precision and more.
      power_draw_w: Math.round(watts * 1000) / 1000,
    }))
}
