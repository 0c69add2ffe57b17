import t from 'tap'
import { uncoveredRanges } from '../../../control-plane/billing/uncovered-ranges.ts'

const r = (start: number, end: number) => ({ start, end })

t.test('the parts of a period no earlier invoice covers', async t => {
  t.same(uncoveredRanges(r(0, 100), []), [r(0, 100)])
  t.same(uncoveredRanges(r(0, 100), [r(0, 100)]), [], 'the same period')
  t.same(uncoveredRanges(r(0, 100), [r(-50, 200)]), [], 'inside a longer one')
  t.same(uncoveredRanges(r(0, 100), [r(50, 100)]), [r(0, 50)], 'a 1-day invoice, then a 2-day one')
  t.same(uncoveredRanges(r(0, 100), [r(60, 70), r(10, 20), r(15, 30)]), [r(0, 10), r(30, 60), r(70, 100)], 'unsorted, overlapping each other')
  t.same(uncoveredRanges(r(0, 100), [r(-10, 0), r(100, 120)]), [r(0, 100)], 'touching is not covering')
})
