import t from 'tap'
import { join } from 'node:path'
import { createAlertsLoop, type AlertsLoopOptions } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { defineAlertRule } from '../../../control-plane/alerts/rules/alert-rule-kind.ts'
import { ALERT_RULES, ruleRowDefaults } from '../../../control-plane/alerts/rules/alert-rules.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'

const NOW = Date.UTC(2026, 4, 10)

// A rule type only this test registers: no migration seeds its row.
const xidStormRule = defineAlertRule({
  type: 'xid_storm',
  threshold: { unit: 'minutes', label: 'minutes', min: 1, max: 60, integer: true },
  defaults: { threshold: 5, enabled: false, description: 'test only: a burst of Xid errors' },
  read: async () => null,
  judge: () => ({ breaches: [], unknown: [] }),
})
const WITH_XID_STORM = [...ALERT_RULES, xidStormRule]

const SEEDED = [[1, 'idle_gpu', 60, true, 0], [2, 'quota_breach', 90, true, 0], [3, 'health_degraded', 85, true, 0]]
// Issue 15's type: registered after the seed, so the loop inserts its row (id 4) from its file's defaults.
const UNALLOCATED = [4, 'unallocated_gpu_use', 2, true, 0]

async function rows (store: Store) {
  return (await store.alerts.listRules()).map(r => [r.id, r.ruleType, r.threshold, r.enabled, r.updatedAt])
}

function loopOn (store: Store, rules?: AlertsLoopOptions['rules']) {
  const clock = fakeClock(NOW)
  const { lines, log } = memoryLog()
  const loop = createAlertsLoop({ store, now: clock.now, log, timers: clock.timers, webhook: false, rules })
  const added = () => lines.filter(l => l.msg === 'alert rules added').map(l => (l.obj as { ruleTypes: string[] }).ruleTypes)
  return { loop, added }
}

t.test('the production list: start() adds only the rows of types registered after the seed; the seeded rows keep their ids and values', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const { loop, added } = loopOn(store)
  await loop.start()
  t.teardown(() => loop.stop())
  t.same(await rows(store), [...SEEDED, UNALLOCATED])
  t.same(added(), [['unallocated_gpu_use']])
  t.same((await store.alerts.listRules()).map(r => ({ ruleType: r.ruleType, threshold: r.threshold, enabled: r.enabled, description: r.description })),
    ruleRowDefaults(ALERT_RULES), 'the rule files\' defaults are the seed\'s rows')
})

t.test('a registered type\'s row is inserted once by start(); a restart adds none and keeps an operator\'s thresholds', async t => {
  const path = join(t.testdir(), 'gpufleet.db')
  const first = await openSqliteStore(path)
  const one = loopOn(first, WITH_XID_STORM)
  await one.loop.start()
  t.same(await rows(first), [...SEEDED, UNALLOCATED, [5, 'xid_storm', 5, false, 0]], 'numbered after the seeded rows, from the rule file\'s defaults')
  t.equal((await first.alerts.getRule(5))?.description, 'test only: a burst of Xid errors')
  t.same(one.added(), [['unallocated_gpu_use', 'xid_storm']], 'logged')
  await one.loop.start()
  t.equal((await first.alerts.listRules()).length, 5, 'a second start() adds nothing')
  await first.alerts.updateRule(2, { threshold: 75 }, NOW + 1)
  await first.alerts.updateRule(5, { threshold: 10, enabled: true }, NOW + 2)
  await one.loop.stop()
  await first.close()

  const second = await openSqliteStore(path)
  t.teardown(() => second.close())
  const two = loopOn(second, WITH_XID_STORM)
  await two.loop.start()
  t.teardown(() => two.loop.stop())
  t.same(await rows(second), [SEEDED[0], [2, 'quota_breach', 75, true, NOW + 1], SEEDED[2], UNALLOCATED, [5, 'xid_storm', 10, true, NOW + 2]],
    'no duplicate, and the operator\'s thresholds are not reset')
  t.same(two.added(), [])
  t.same(await two.loop.evaluate(), { fired: [], resolved: [] }, 'the injected type is judged by its own file')
})

t.test('a loop that was never started inserts the rows before its first pass', async t => {
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  const { loop, added } = loopOn(store, WITH_XID_STORM)
  await loop.evaluate()
  await loop.evaluate()
  t.same((await rows(store)).map(r => r[1]), ['idle_gpu', 'quota_breach', 'health_degraded', 'unallocated_gpu_use', 'xid_storm'])
  t.same(added(), [['unallocated_gpu_use', 'xid_storm']], 'once')
})
