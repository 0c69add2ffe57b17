import t from 'tap'
import { localDays } from '../../../control-plane/analytics/local-days.ts'

const H = 3_600_000
const D = 24 * H
const len = (d: { spans: Array<{ start: number, end: number }> }) => d.spans.reduce((s, x) => s + x.end - x.start, 0)

t.test('UTC: whole days, partial ends clipped to the window', async t => {
  const days = localDays('UTC', Date.UTC(2026, 5, 1, 12), Date.UTC(2026, 5, 3, 6))
  t.same(days.map(d => d.date), ['2026-06-01', '2026-06-02', '2026-06-03'])
  t.same(days.map(d => d.spans), [
    [{ start: Date.UTC(2026, 5, 1, 12), end: Date.UTC(2026, 5, 2) }],
    [{ start: Date.UTC(2026, 5, 2), end: Date.UTC(2026, 5, 3) }],
    [{ start: Date.UTC(2026, 5, 3), end: Date.UTC(2026, 5, 3, 6) }],
  ])
  t.same(localDays('UTC', 5, 5), [], 'empty window')
})

t.test('half- and quarter-hour offsets: Asia/Kolkata (+05:30), Asia/Kathmandu (+05:45)', async t => {
  const kol = localDays('Asia/Kolkata', Date.UTC(2026, 5, 1) - 5.5 * H, Date.UTC(2026, 5, 3) - 5.5 * H)
  t.same(kol.map(d => [d.date, d.spans[0]!.start, len(d)]), [
    ['2026-06-01', Date.UTC(2026, 4, 31, 18, 30), D],
    ['2026-06-02', Date.UTC(2026, 5, 1, 18, 30), D],
  ])
  const ktm = localDays('Asia/Kathmandu', Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 2))
  t.same(ktm.map(d => [d.date, d.spans[0]!.start, d.spans[0]!.end]), [
    ['2026-06-01', Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 1, 18, 15)],
    ['2026-06-02', Date.UTC(2026, 5, 1, 18, 15), Date.UTC(2026, 5, 2)],
  ])
})

t.test('DST: America/New_York has a 23-hour and a 25-hour day', async t => {
  const spring = localDays('America/New_York', Date.UTC(2026, 2, 7, 5), Date.UTC(2026, 2, 10, 4))
  t.same(spring.map(d => [d.date, len(d) / H]), [['2026-03-07', 24], ['2026-03-08', 23], ['2026-03-09', 24]])
  const fall = localDays('America/New_York', Date.UTC(2026, 9, 31, 4), Date.UTC(2026, 10, 3, 5))
  t.same(fall.map(d => [d.date, len(d) / H]), [['2026-10-31', 24], ['2026-11-01', 25], ['2026-11-02', 24]])
  t.equal(fall[1]!.spans.length, 1, 'the repeated hour stays inside its day')
})

t.test('Australia/Lord_Howe: a 30-minute DST shift', async t => {
  // DST ends first Sunday of April 2026 (Apr 5) at 02:00 local: +11:00 → +10:30.
  const days = localDays('Australia/Lord_Howe', Date.UTC(2026, 3, 3, 13), Date.UTC(2026, 3, 6, 13, 30))
  t.same(days.map(d => [d.date, len(d) / H]), [['2026-04-04', 24], ['2026-04-05', 24.5], ['2026-04-06', 24]])
})

t.test('spans cover the window exactly once, in order', async t => {
  for (const tz of ['UTC', 'Asia/Kolkata', 'America/Santiago', 'Europe/London', 'Pacific/Chatham', 'Africa/Cairo']) {
    const since = Date.UTC(2025, 0, 1, 3, 7)
    const until = since + 400 * D
    const spans = localDays(tz, since, until).flatMap(d => d.spans).sort((a, b) => a.start - b.start)
    let at = since
    for (const s of spans) {
      if (s.start !== at) break
      at = s.end
    }
    t.equal(at, until, `${tz}: contiguous from since to until`)
    const days = localDays(tz, since, until).map(d => d.date)
    t.same(days, [...new Set(days)].sort(), `${tz}: each date once, ordered`)
  }
})
