import type { Test } from 'tap'
import type { AlertBreach, AlertSubject } from '../../../control-plane/store/alert-repository.ts'
import type { Store } from '../../../control-plane/store/store.ts'

/**
 * The alert repository contract, run against every engine (SQLite now; PostgreSQL calls this
 * with its own factory). Each subtest gets a fresh store.
 */
export function alertsSuite (t: Test, openStore: () => Promise<Store>): void {
  const T0 = Date.UTC(2026, 4, 9, 0, 0, 0)
  const gpu = (id: number): AlertSubject => ({ type: 'gpu', id, name: `gpu-01/${id}` })
  const breach = (subject: AlertSubject, tenantId: number | null = null): AlertBreach => ({ subject, tenantId, message: `${subject.type} ${subject.id} breached` })

  t.test('the three built-in rules are seeded with the seed\'s ids and defaults', async t => {
    const { alerts } = await openStore()
    const rules = await alerts.listRules()
    t.same(rules.map(r => [r.id, r.ruleType, r.threshold, r.enabled, r.webhookUrl, r.activeEvents]), [
      [1, 'idle_gpu', 60, true, null, 0],
      [2, 'quota_breach', 90, true, null, 0],
      [3, 'health_degraded', 85, true, null, 0],
    ])
    t.ok(rules.every(r => r.description.length > 10), 'each says what it watches')
    t.equal((await alerts.getRule(2))?.ruleType, 'quota_breach')
    t.equal(await alerts.getRule(4), null)
  })

  t.test('ensureRules inserts the missing types after the highest id, once; an existing row (an operator\'s threshold) is not touched', async t => {
    const { alerts } = await openStore()
    await alerts.updateRule(2, { threshold: 75 }, T0)
    const defaults = [
      { ruleType: 'quota_breach', threshold: 90, enabled: true, description: 'other words' },
      { ruleType: 'xid_storm', threshold: 3, enabled: false, description: 'a burst of Xid errors' },
      { ruleType: 'power_cap', threshold: 500, enabled: true, description: 'watts over the cap' },
    ]
    t.same(await alerts.ensureRules(defaults), ['xid_storm', 'power_cap'])
    t.same(await alerts.ensureRules(defaults), [], 'a second call inserts nothing')
    const rules = await alerts.listRules()
    t.same(rules.map(r => [r.id, r.ruleType, r.threshold, r.enabled, r.webhookUrl, r.updatedAt, r.activeEvents]), [
      [1, 'idle_gpu', 60, true, null, 0, 0],
      [2, 'quota_breach', 75, true, null, T0, 0],
      [3, 'health_degraded', 85, true, null, 0, 0],
      [4, 'xid_storm', 3, false, null, 0, 0],
      [5, 'power_cap', 500, true, null, 0, 0],
    ])
    t.same(rules.slice(3).map(r => r.description), ['a burst of Xid errors', 'watts over the cap'])
    t.not(rules[1]?.description, 'other words', 'the existing row keeps its description')
    t.same(await alerts.ensureRules([]), [])
  })

  t.test('fires once per (rule, subject), keeps it open while in breach or unknown, resolves when it clears, re-fires as a new event', async t => {
    const { alerts } = await openStore()
    const pass = (at: number, breaches: AlertBreach[], unknown: AlertSubject[] = []) =>
      alerts.applyEvaluation({ ruleId: 1, at, threshold: 60, breaches, unknown })

    const first = await pass(T0, [breach(gpu(1), 7), breach(gpu(2)), breach(gpu(2))])
    t.same(first.fired.map(e => [e.subject.type, e.subject.id, e.tenantId, e.firedAt, e.resolvedAt]), [['gpu', 1, 7, T0, null], ['gpu', 2, null, T0, null]], 'a duplicate subject fires once')
    t.equal(first.fired[0]?.subject.name, 'gpu-01/1')
    t.equal(first.fired[0]?.ruleType, 'idle_gpu')
    t.equal(first.stale, false)

    const second = await pass(T0 + 30_000, [breach(gpu(1)), breach(gpu(2))])
    t.same([second.fired.length, second.resolved.length], [0, 0], 'still in breach: nothing new')
    t.equal((await alerts.getRule(1))?.activeEvents, 2)

    const third = await pass(T0 + 60_000, [], [gpu(2)])
    t.same(third.resolved.map(e => [e.subject.id, e.resolvedAt]), [[1, T0 + 60_000]], 'cleared → resolved; unknown → kept open')

    const fourth = await pass(T0 + 90_000, [breach(gpu(1))])
    t.same(fourth.fired.map(e => e.subject.id), [1], 'a new breach is a new event')
    t.same(fourth.resolved.map(e => e.subject.id), [2])
    t.not(fourth.fired[0]?.id, first.fired[0]?.id)
    t.equal((await alerts.listEvents({ limit: 100 })).length, 3)
  })

  t.test('a pass judged by an old threshold is stale and applies nothing; a disabled rule resolves its open events', async t => {
    const { alerts } = await openStore()
    await alerts.applyEvaluation({ ruleId: 2, at: T0, threshold: 90, breaches: [breach({ type: 'tenant', id: 1, name: 'a' }, 1)], unknown: [] })
    await alerts.updateRule(2, { threshold: 95 }, T0 + 1)
    const stale = await alerts.applyEvaluation({ ruleId: 2, at: T0 + 2, threshold: 90, breaches: [], unknown: [] })
    t.same(stale, { fired: [], resolved: [], stale: true })
    t.equal((await alerts.getRule(2))?.activeEvents, 1, 'nothing resolved by the stale pass')

    await alerts.updateRule(2, { enabled: false }, T0 + 3)
    t.equal((await alerts.getRule(2))?.activeEvents, 0, 'disabling resolved it')
    const disabled = await alerts.applyEvaluation({ ruleId: 2, at: T0 + 4, threshold: 95, breaches: [breach({ type: 'tenant', id: 1, name: 'a' }, 1)], unknown: [] })
    t.same(disabled.fired, [], 'a disabled rule fires nothing')
    await t.rejects(alerts.applyEvaluation({ ruleId: 99, at: T0, threshold: 1, breaches: [], unknown: [] }))
  })

  t.test('updateRule: partial patches, webhook set and cleared, disable resolves and queues the resolution', async t => {
    const { alerts } = await openStore()
    t.equal(await alerts.updateRule(42, { enabled: false }, T0), null)
    const url = 'http://127.0.0.1:9/hook'
    const a = await alerts.updateRule(3, { webhookUrl: url, threshold: 90 }, T0)
    t.match(a?.rule, { id: 3, threshold: 90, enabled: true, webhookUrl: url, updatedAt: T0 })
    t.same(a?.resolved, [])

    const fired = await alerts.applyEvaluation({ ruleId: 3, at: T0 + 10, threshold: 90, breaches: [breach({ type: 'node', id: 5, name: 'gpu-05' })], unknown: [] })
    const b = await alerts.updateRule(3, { enabled: false }, T0 + 20)
    t.match(b?.rule, { enabled: false, threshold: 90, webhookUrl: url, activeEvents: 0 })
    t.same(b?.resolved.map(e => [e.id, e.resolvedAt]), [[fired.fired[0]?.id, T0 + 20]])
    t.same((await alerts.listDeliveries()).map(d => [d.eventId, d.kind, d.url, d.status, d.nextAttemptAt]), [
      [fired.fired[0]?.id, 'fired', url, 'pending', T0 + 10],
      [fired.fired[0]?.id, 'resolved', url, 'pending', T0 + 20],
    ])
    const c = await alerts.updateRule(3, { webhookUrl: null, enabled: true }, T0 + 30)
    t.match(c?.rule, { enabled: true, webhookUrl: null, threshold: 90 })
    await alerts.applyEvaluation({ ruleId: 3, at: T0 + 40, threshold: 90, breaches: [breach({ type: 'node', id: 5, name: 'gpu-05' })], unknown: [] })
    t.equal((await alerts.listDeliveries()).length, 2, 'no webhook, no delivery')
  })

  t.test('listEvents: open first (newest first), then resolved (newest first); limit; tenant filter', async t => {
    const { alerts } = await openStore()
    // Events fired at T0+1..T0+5 on subjects 1..5 (tenants 1,2,1,2,1); 1 and 4 then resolve.
    for (let i = 1; i <= 5; i++) {
      const keep = Array.from({ length: i }, (_, k) => breach(gpu(k + 1), ((k % 2) + 1)))
      await alerts.applyEvaluation({ ruleId: 1, at: T0 + i, threshold: 60, breaches: keep, unknown: [] })
    }
    await alerts.applyEvaluation({ ruleId: 1, at: T0 + 10, threshold: 60, breaches: [2, 3, 5].map(i => breach(gpu(i), ((i - 1) % 2) + 1)), unknown: [] })
    const ids = (events: Array<{ subject: { id: number } }>) => events.map(e => e.subject.id)
    t.same(ids(await alerts.listEvents({ limit: 50 })), [5, 3, 2, 4, 1])
    t.same(ids(await alerts.listEvents({ limit: 2 })), [5, 3])
    t.same(ids(await alerts.listEvents({ limit: 4 })), [5, 3, 2, 4])
    t.same(ids(await alerts.listEvents({ limit: 50, tenantId: 1 })), [5, 3, 1])
    t.same(ids(await alerts.listEvents({ limit: 50, tenantId: 2 })), [2, 4])
    t.same(await alerts.listEvents({ limit: 50, tenantId: 3 }), [])
  })

  t.test('deliveries: due oldest first, next due time, success, retry, give up', async t => {
    const { alerts } = await openStore()
    const url = 'https://hooks.example/a'
    await alerts.updateRule(1, { webhookUrl: url }, T0)
    await alerts.applyEvaluation({ ruleId: 1, at: T0 + 1, threshold: 60, breaches: [breach(gpu(1), 4)], unknown: [] })
    await alerts.applyEvaluation({ ruleId: 1, at: T0 + 2, threshold: 60, breaches: [breach(gpu(1), 4), breach(gpu(2))], unknown: [] })
    t.equal(await alerts.nextDeliveryAt(), T0 + 1)
    t.same(await alerts.dueDeliveries(T0, 10), [], 'nothing due before its time')
    const due = await alerts.dueDeliveries(T0 + 5, 10)
    t.same(due.map(d => [d.event.subject.id, d.kind, d.attempts, d.threshold]), [[1, 'fired', 0, 60], [2, 'fired', 0, 60]])
    t.equal(due[0]?.event.tenantId, 4)
    t.same((await alerts.dueDeliveries(T0 + 5, 1)).length, 1, 'limit')

    await alerts.recordDeliveryAttempt(due[0]!.id, { ok: false, at: T0 + 5, error: 'HTTP 500', retryAt: T0 + 1005 })
    await alerts.recordDeliveryAttempt(due[1]!.id, { ok: false, at: T0 + 5, error: 'HTTP 410', retryAt: null })
    t.equal(await alerts.nextDeliveryAt(), T0 + 1005)
    await alerts.recordDeliveryAttempt(due[0]!.id, { ok: true, at: T0 + 1010 })
    await alerts.recordDeliveryAttempt(due[0]!.id, { ok: false, at: T0 + 1020, error: 'late', retryAt: T0 + 2000 })
    t.same((await alerts.listDeliveries()).map(d => [d.status, d.attempts, d.lastError, d.deliveredAt]), [
      ['delivered', 2, null, T0 + 1010],
      ['failed', 1, 'HTTP 410', null],
    ], 'a settled delivery is never reopened')
    t.equal(await alerts.nextDeliveryAt(), null)
    t.same((await alerts.listDeliveries({ eventId: due[1]!.eventId })).map(d => d.status), ['failed'])
  })

  t.test('deliveries of one event go in order: "resolved" waits while "fired" is pending', async t => {
    const { alerts } = await openStore()
    await alerts.updateRule(1, { webhookUrl: 'http://127.0.0.1:9/h' }, T0)
    await alerts.applyEvaluation({ ruleId: 1, at: T0, threshold: 60, breaches: [breach(gpu(1)), breach(gpu(2))], unknown: [] })
    await alerts.applyEvaluation({ ruleId: 1, at: T0 + 10, threshold: 60, breaches: [breach(gpu(2))], unknown: [] })
    const first = await alerts.dueDeliveries(T0 + 10, 10)
    t.same(first.map(d => [d.event.subject.id, d.kind]), [[1, 'fired'], [2, 'fired']], 'gpu 1\'s resolution waits')
    t.equal(first[0]?.event.resolvedAt, T0 + 10, 'the event as it stands now')
    await alerts.recordDeliveryAttempt(first[0]!.id, { ok: false, at: T0 + 10, error: 'HTTP 503', retryAt: T0 + 1010 })
    t.equal(await alerts.nextDeliveryAt(), T0, 'gpu 2\'s fired is still due')
    await alerts.recordDeliveryAttempt(first[1]!.id, { ok: true, at: T0 + 10 })
    t.equal(await alerts.nextDeliveryAt(), T0 + 1010, 'the blocked resolution does not count as due')
    t.same(await alerts.dueDeliveries(T0 + 500, 10), [])
    const retry = await alerts.dueDeliveries(T0 + 1010, 10)
    t.same(retry.map(d => [d.event.subject.id, d.kind, d.attempts]), [[1, 'fired', 1]])
    await alerts.recordDeliveryAttempt(retry[0]!.id, { ok: true, at: T0 + 1010 })
    t.same((await alerts.dueDeliveries(T0 + 1010, 10)).map(d => [d.event.subject.id, d.kind]), [[1, 'resolved']])
  })
  t.test('openAlertsToResend: open, unsilenced events of enabled rules in that format with nothing pending, to the rule\'s URL now', async t => {
    const { alerts } = await openStore()
    const am = 'http://127.0.0.1:9093/api/v2/alerts'
    await alerts.updateRule(1, { webhookUrl: 'http://127.0.0.1:9/old', webhookFormat: 'alertmanager-api' }, T0)
    await alerts.updateRule(2, { webhookUrl: 'http://127.0.0.1:9/own' }, T0)
    await alerts.applyEvaluation({ ruleId: 1, at: T0, threshold: 60, breaches: [breach(gpu(1), 4), breach(gpu(2)), breach(gpu(3))], unknown: [] })
    await alerts.applyEvaluation({ ruleId: 2, at: T0, threshold: 90, breaches: [{ subject: { type: 'tenant', id: 4, name: 'acme' }, tenantId: 4, message: 'quota' }], unknown: [] })
    t.same(await alerts.openAlertsToResend('alertmanager-api', T0), [], 'every event\'s "fired" is still pending')
    for (const d of await alerts.dueDeliveries(T0, 10)) await alerts.recordDeliveryAttempt(d.id, d.event.subject.id === 3 ? { ok: false, at: T0, error: 'HTTP 503', retryAt: T0 + 1000 } : { ok: true, at: T0 })
    await alerts.updateRule(1, { webhookUrl: am }, T0 + 1)
    const [one] = await alerts.listEvents({ limit: 10 }).then(es => es.filter(e => e.ruleId === 1 && e.subject.id === 1))
    await alerts.silenceEvent(one!.id, T0 + 60_000)
    const resend = await alerts.openAlertsToResend('alertmanager-api', T0 + 10)
    t.same(resend.map(r => [r.url, r.event.subject.id, r.event.tenantId, r.threshold]), [[am, 2, null, 60]],
      'gpu 1 silenced, gpu 3\'s "fired" retrying; the rule\'s URL as it is now; rule 2 speaks gpufleet')
    t.same((await alerts.openAlertsToResend('alertmanager-api', T0 + 60_000)).map(r => r.event.subject.id), [1, 2], 'the silence ended')
    t.same((await alerts.openAlertsToResend('gpufleet', T0 + 10)).map(r => r.event.subject.type), ['tenant'])
    await alerts.applyEvaluation({ ruleId: 1, at: T0 + 20, threshold: 60, breaches: [breach(gpu(1), 4), breach(gpu(3))], unknown: [] })
    t.same((await alerts.openAlertsToResend('alertmanager-api', T0 + 60_000)).map(r => r.event.subject.id), [1], 'gpu 2 resolved: gone')
    await alerts.updateRule(1, { enabled: false }, T0 + 30)
    t.same(await alerts.openAlertsToResend('alertmanager-api', T0 + 60_000), [], 'a disabled rule has no open events')
  })
}
