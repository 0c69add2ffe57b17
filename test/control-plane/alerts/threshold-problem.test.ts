import t from 'tap'
import { backoffDelay } from '../../../control-plane/alerts/backoff-delay.ts'
import { thresholdProblem } from '../../../control-plane/alerts/alert-rule-types.ts'

t.test('backoffDelay: 1 s, 2 s, 4 s, … capped', async t => {
  t.same([1, 2, 3, 4, 5, 10, 40].map(n => backoffDelay(n, 1000, 60_000)), [1000, 2000, 4000, 8000, 16_000, 60_000, 60_000])
})

t.test('thresholdProblem: ranges per rule type', async t => {
  t.equal(thresholdProblem('idle_gpu', 60), null)
  t.match(thresholdProblem('idle_gpu', 60.5), /integer from 1 to 240 \(minutes\)/)
  t.equal(thresholdProblem('quota_breach', 99.5), null)
  t.match(thresholdProblem('quota_breach', Number.NaN), /number from 1 to 100 \(percent\)/)
  t.match(thresholdProblem('health_degraded', Infinity), /from 40 to 120 \(celsius\)/)
})
