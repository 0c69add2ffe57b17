import t from 'tap'
import { ALERT_RULE_TYPES, ALERT_RULES, THRESHOLD_HELP, alertRuleKind, thresholdProblem } from '../../../control-plane/alerts/rules/alert-rules.ts'
import type { TenantQuota } from '../../../control-plane/store/dashboard-repository.ts'
import { quotaBreachRule } from '../../../control-plane/alerts/rules/quota-breach-rule.ts'

t.test('the registry: the seed\'s types in the seed\'s order, then issue 15\'s, one entry each', async t => {
  t.same(ALERT_RULE_TYPES, ['idle_gpu', 'quota_breach', 'health_degraded', 'unallocated_gpu_use'])
  t.equal(new Set(ALERT_RULE_TYPES).size, ALERT_RULES.length)
  for (const r of ALERT_RULES) t.ok(r.threshold.min < r.threshold.max, `${r.type}: a range`)
  t.equal(THRESHOLD_HELP, 'idle_gpu: minutes (integer 1–240); quota_breach: percent of quota (1–100); health_degraded: °C (40–120); unallocated_gpu_use: minutes (integer 1–1440)')
})

t.test('an unregistered type is refused by name', async t => {
  t.throws(() => alertRuleKind('gpu_on_fire'), /gpu_on_fire is not registered/)
  t.throws(() => thresholdProblem('gpu_on_fire', 1), /not registered/)
})

t.test('a rule\'s judge takes literal data; evaluate reads what the rule needs and judges it', async t => {
  const quotas: TenantQuota[] = [
    { tenantId: 1, name: 'acme', status: 'active', gpuQuota: 2, gpusInUse: 2 },
    { tenantId: 2, name: 'beta', status: 'active', gpuQuota: 10, gpusInUse: 2 },
  ]
  t.same(quotaBreachRule.judge(quotas, 90, 0).breaches.map(b => b.subject.name), ['acme'])
  const store = { dashboard: { tenantQuotas: async () => quotas } } as never
  t.same((await quotaBreachRule.evaluate(store, 20, 0)).breaches.map(b => b.subject.name), ['acme', 'beta'])
})
