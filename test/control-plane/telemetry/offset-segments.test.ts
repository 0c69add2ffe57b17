import t from 'tap'
import { offsetAt, offsetSegments, resolveWall } from '../../../control-plane/telemetry/offset-segments.ts'
import { formatIsoOffset } from '../../../control-plane/telemetry/format-iso-offset.ts'
import { canonicalTimeZone, zoneOffset } from '../../../shared/zone-offset.ts'

const H = 3_600_000

t.test('zoneOffset and canonicalTimeZone', async t => {
  t.equal(zoneOffset('UTC', 0), 0)
  t.equal(zoneOffset(canonicalTimeZone('Asia/Kolkata')!, Date.UTC(2026, 0, 1)), 330)
  t.equal(zoneOffset('Asia/Kathmandu', Date.UTC(2026, 0, 1)), 345)
  t.equal(zoneOffset('America/St_Johns', Date.UTC(2026, 0, 1)), -210)
  t.equal(zoneOffset('America/New_York', Date.UTC(2026, 6, 1)), -240)
  for (const ok of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) t.ok(canonicalTimeZone(ok), ok)
  for (const bad of ['', 'Nowhere/City', 'Europe/Berlin ', '../x', 'a'.repeat(65)]) t.equal(canonicalTimeZone(bad), null, bad)
  t.equal(canonicalTimeZone('utc'), 'UTC')
  t.equal(canonicalTimeZone('us/eastern'), 'America/New_York', 'spellings collapse to one zone')
})

t.test('offsetSegments finds each change on its minute', async t => {
  t.same(offsetSegments('UTC', 0, 40 * 86_400_000), [{ start: -Infinity, end: Infinity, offsetMinutes: 0 }])
  const ny = offsetSegments('America/New_York', Date.UTC(2026, 2, 1), Date.UTC(2026, 10, 30))
  t.same(ny, [
    { start: -Infinity, end: Date.UTC(2026, 2, 8, 7), offsetMinutes: -300 },
    { start: Date.UTC(2026, 2, 8, 7), end: Date.UTC(2026, 10, 1, 6), offsetMinutes: -240 },
    { start: Date.UTC(2026, 10, 1, 6), end: Infinity, offsetMinutes: -300 },
  ])
  // Lord Howe moves by half an hour.
  const lh = offsetSegments('Australia/Lord_Howe', Date.UTC(2026, 3, 1), Date.UTC(2026, 3, 10))
  t.same(lh.map(s => s.offsetMinutes), [660, 630])
  t.equal(offsetAt(Date.UTC(2026, 2, 8, 6, 59), ny), -300)
  t.equal(offsetAt(Date.UTC(2026, 2, 8, 7), ny), -240)
})

t.test('resolveWall: plain, skipped (spring forward) and repeated (fall back) wall times', async t => {
  const ny = offsetSegments('America/New_York', Date.UTC(2026, 2, 1), Date.UTC(2026, 10, 30))
  const wall = (y: number, mo: number, d: number, h: number) => Date.UTC(y, mo, d, h)
  t.equal(resolveWall(wall(2026, 2, 8, 1), 0, ny), Date.UTC(2026, 2, 8, 6))
  t.equal(resolveWall(wall(2026, 2, 8, 2), 1, ny), Date.UTC(2026, 2, 8, 7), '02:00 does not exist: the change itself')
  t.equal(resolveWall(wall(2026, 2, 8, 0), 1, ny), Date.UTC(2026, 2, 8, 5), 'midnight before the change, met after it')
  t.equal(resolveWall(wall(2026, 10, 1, 1), 1, ny), Date.UTC(2026, 10, 1, 5), '01:00 EDT')
  t.equal(resolveWall(wall(2026, 10, 1, 1), 2, ny), Date.UTC(2026, 10, 1, 6), '01:00 EST, the second one')
  t.equal(resolveWall(wall(2026, 10, 1, 0), 2, ny), Date.UTC(2026, 10, 1, 4))
  t.equal(resolveWall(0 + 5 * H, 0, [{ start: -Infinity, end: Infinity, offsetMinutes: 0 }]), 5 * H)
})

t.test('formatIsoOffset renders the seed\'s form', async t => {
  t.equal(formatIsoOffset(Date.UTC(2026, 3, 25, 15, 5), 540), '2026-04-26T00:05:00+09:00')
  t.equal(formatIsoOffset(Date.UTC(2026, 3, 26, 4), 0), '2026-04-26T04:00:00+00:00')
  t.equal(formatIsoOffset(Date.UTC(2026, 2, 8, 7), -240), '2026-03-08T03:00:00-04:00')
  t.equal(formatIsoOffset(Date.UTC(2026, 0, 1, 0, 0, 0, 7), -210), '2025-12-31T20:30:00.007-03:30')
})
