import t from 'tap'
import { parseInstant } from '../../../shared/parse-instant.ts'

t.test('instants with Z or an offset', async t => {
  t.equal(parseInstant('2026-06-01T00:00:00.000Z'), Date.UTC(2026, 5, 1))
  t.equal(parseInstant('2026-06-15T23:59:59.000Z'), Date.UTC(2026, 5, 15, 23, 59, 59))
  t.equal(parseInstant('2026-06-01T00:00:00Z'), Date.UTC(2026, 5, 1))
  t.equal(parseInstant('2026-06-01T00:00Z'), Date.UTC(2026, 5, 1))
  t.equal(parseInstant('2026-06-01T08:00:00+08:00'), Date.UTC(2026, 5, 1), '+08:00')
  t.equal(parseInstant('2026-06-01T08:00:00+0800'), Date.UTC(2026, 5, 1), 'basic offset')
  t.equal(parseInstant('2026-06-01T05:30:00+05:30'), Date.UTC(2026, 5, 1), 'half hour')
  t.equal(parseInstant('2026-05-31T19:00:00-05:00'), Date.UTC(2026, 5, 1), 'negative offset')
  t.equal(parseInstant('2026-06-01T08:00:00 08:00'), Date.UTC(2026, 5, 1), "a '+' decoded to a space in a query string")
  t.equal(parseInstant('2026-06-01T00:00:00.1234567Z'), Date.UTC(2026, 5, 1, 0, 0, 0, 123), 'fraction truncated to ms')
  t.equal(parseInstant('2026-06-01T00:00:00.5Z'), Date.UTC(2026, 5, 1, 0, 0, 0, 500))
  t.equal(parseInstant('2026-06-01'), Date.UTC(2026, 5, 1), 'a date is UTC midnight')
  t.equal(parseInstant('2024-02-29'), Date.UTC(2024, 1, 29), 'leap day')
  t.equal(parseInstant('0050-01-01T00:00:00Z'), -60589296000000, 'years below 100 are not 19xx')
})

t.test('not instants', async t => {
  for (const bad of [
    '', 'yesterday', '1717200000000', '2026-06-01T00:00:00', '2026-06-01T00:00', '2026-13-01', '2026-02-30', '2025-02-29',
    '2026-06-01T24:00:00Z', '2026-06-01T23:60:00Z', '2026-06-01T23:59:60Z', '2026-06-01T00:00:00+24:00', '2026-6-1',
    '2026-06-01 00:00:00Z', '2026-06-01T00:00:00.Z', ' 2026-06-01', '2026-06-01T00:00:00Z ', '+2026-06-01', '2026-06-01T00:00:00.000Zjunk',
  ]) t.equal(parseInstant(bad), null, JSON.stringify(bad))
})
