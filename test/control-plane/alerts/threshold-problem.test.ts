import t from 'tap'
import { thresholdProblem } from '../../../control-plane/alerts/rules/alert-rules.ts'

t.test('thresholdProblem: ranges per rule type', async t => {
  t.equal(thresholdProblem('idle_gpu', 60), null)
  t.match(thresholdProblem('idle_gpu', 60.5), /integer from 1 to 240 \(minutes\)/)
  t.equal(thresholdProblem('quota_breach', 99.5), null)
  t.match(thresholdProblem('quota_breach', Number.NaN), /number from 1 to 100 \(percent\)/)
  t.match(thresholdProblem('health_degraded', Infinity), /from 40 to 120 \(celsius\)/)
})
