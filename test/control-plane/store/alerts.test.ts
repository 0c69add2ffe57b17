import t from 'tap'
import { join } from 'node:path'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { alertsSuite } from './alerts-suite.ts'

t.test('sqlite (in memory)', async t => {
  alertsSuite(t, async () => {
    const store = await openSqliteStore(':memory:')
    t.teardown(() => store.close())
    return store
  })
})

t.test('sqlite file: rules, open events and pending deliveries survive a restart', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const T0 = Date.UTC(2026, 4, 9)
  const first = await openSqliteStore(path)
  await first.alerts.updateRule(2, { threshold: 75, webhookUrl: 'http://127.0.0.1:9/h' }, T0)
  await first.alerts.applyEvaluation({ ruleId: 2, at: T0 + 1, threshold: 75, breaches: [{ subject: { type: 'tenant', id: 1, name: 'a' }, tenantId: 1, message: 'm' }], unknown: [] })
  await first.close()

  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  t.match(await second.alerts.getRule(2), { threshold: 75, webhookUrl: 'http://127.0.0.1:9/h', activeEvents: 1 })
  t.same((await second.alerts.dueDeliveries(T0 + 1, 10)).map(d => [d.kind, d.status]), [['fired', 'pending']], 'a restart resumes pending deliveries')
  const again = await second.alerts.applyEvaluation({ ruleId: 2, at: T0 + 2, threshold: 75, breaches: [{ subject: { type: 'tenant', id: 1, name: 'a' }, tenantId: 1, message: 'm' }], unknown: [] })
  t.same(again.fired, [], 'the open event is remembered: no second fire after a restart')
  t.equal((await second.alerts.listRules()).length, 3, 'migrations ran once')
})
