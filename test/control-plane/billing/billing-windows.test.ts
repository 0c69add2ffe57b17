import t from 'tap'
import { invoicePeriod, usageWindow } from '../../../control-plane/billing/billing-windows.ts'
import { startOfUtcDay, utcDate } from '../../../control-plane/billing/utc-days.ts'

const ms = Date.parse

t.test('usage window: `days` UTC days including today, up to now', async t => {
  t.same(usageWindow(ms('2026-05-10T15:20:00Z'), 1), { start: ms('2026-05-10T00:00:00Z'), end: ms('2026-05-10T15:20:00Z'), days: 1 })
  t.same(usageWindow(ms('2026-05-10T15:20:00Z'), 30), { start: ms('2026-04-11T00:00:00Z'), end: ms('2026-05-10T15:20:00Z'), days: 30 })
})

t.test('invoice period: the `days` whole UTC days before today; the same all day long', async t => {
  const first = invoicePeriod(ms('2026-05-10T00:00:00Z'), 30)
  t.same(first, { start: ms('2026-04-10T00:00:00Z'), end: ms('2026-05-10T00:00:00Z'), days: 30 })
  t.same(invoicePeriod(ms('2026-05-10T23:59:59.999Z'), 30), first, 'last millisecond of the day: same period')
  t.not(invoicePeriod(ms('2026-05-11T00:00:00Z'), 30).end, first.end, 'next day: next period')
  t.same(invoicePeriod(ms('2026-03-01T12:00:00Z'), 1), { start: ms('2026-02-28T00:00:00Z'), end: ms('2026-03-01T00:00:00Z'), days: 1 })
})

t.test('UTC days', async t => {
  t.equal(startOfUtcDay(ms('2026-05-10T23:59:59.999Z')), ms('2026-05-10T00:00:00Z'))
  t.equal(utcDate(ms('2026-05-10T23:59:59.999Z')), '2026-05-10')
  t.equal(utcDate(ms('1969-12-31T12:00:00Z')), '1969-12-31', 'floor, not truncation, before the epoch')
})
