import type { AlertEvent, AlertRepository, AlertRule, DeliveryKind, DueDelivery, EvaluationResult } from '../alert-repository.ts'
import { EVENT_SQL, HEAD_OF_EVENT, RULE_SQL, subjectKey, toDelivery, toEvent, toRule } from '../sqlite/sqlite-alert-repository.ts'
import type { PgDb, PgQuery } from './pg-db.ts'
import { ALERTS_LOCK } from '../store-locks.ts'


export async function createPgAlertRepository (db: PgDb): Promise<AlertRepository> {

  const ruleById = async (q: PgQuery, id: number): Promise<AlertRule | null> => {
    const r = await q.one(`${RULE_SQL} WHERE r.id = ?`, id)
    return r === undefined ? null : toRule(r)
  }
  const eventById = async (q: PgQuery, id: number): Promise<AlertEvent> => toEvent((await q.one(`${EVENT_SQL} WHERE e.id = ?`, id))!)

  const queue = async (q: PgQuery, eventId: number, kind: DeliveryKind, url: string | null, at: number) => {
    if (url === null) return
    await q.run(`INSERT INTO alert_deliveries (event_id, kind, url, status, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?)`, eventId, kind, url, at, at)
  }

  const resolve = async (q: PgQuery, eventId: number, at: number, url: string | null): Promise<AlertEvent> => {
    await q.run('UPDATE alert_events SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL', at, eventId)
    await queue(q, eventId, 'resolved', url, at)
    return eventById(q, eventId)
  }
  const resolveAll = async (q: PgQuery, events: AlertEvent[], at: number, url: string | null) => {
    const out: AlertEvent[] = []
    for (const e of events) out.push(await resolve(q, e.id, at, url))
    return out
  }

  const openEventsOf = async (q: PgQuery, ruleId: number): Promise<AlertEvent[]> =>
    (await q.all(`${EVENT_SQL} WHERE e.rule_id = ? AND e.resolved_at IS NULL ORDER BY e.id`, ruleId)).map(toEvent)

  return {
    async listRules () {
      return (await db.all(`${RULE_SQL} ORDER BY r.id`)).map(toRule)
    },

    async getRule (id) {
      return ruleById(db, id)
    },

    async updateRule (id, patch, at) {
      return db.tx(ALERTS_LOCK, async q => {
        const before = await ruleById(q, id)
        if (before === null) return null
        const enabled = patch.enabled ?? before.enabled
        const threshold = patch.threshold ?? before.threshold
        const webhookUrl = patch.webhookUrl === undefined ? before.webhookUrl : patch.webhookUrl
        await q.run('UPDATE alert_rules SET enabled = ?, threshold = ?, webhook_url = ?, updated_at = ? WHERE id = ?',
          enabled ? 1 : 0, threshold, webhookUrl, at, id)
        // A disabled rule watches nothing, so nothing of it stays open (the receiver hears why).
        const resolved = enabled ? [] : await resolveAll(q, await openEventsOf(q, id), at, webhookUrl)
        return { rule: (await ruleById(q, id))!, resolved }
      })
    },

    async applyEvaluation (ev) {
      return db.tx(ALERTS_LOCK, async (q): Promise<EvaluationResult> => {
        const rule = await ruleById(q, ev.ruleId)
        if (rule === null) throw new Error(`no alert rule ${ev.ruleId}`)
        const open = await openEventsOf(q, rule.id)
        if (!rule.enabled) return { fired: [], resolved: await resolveAll(q, open, ev.at, rule.webhookUrl), stale: false }
        if (rule.threshold !== ev.threshold) return { fired: [], resolved: [], stale: true }

        const openKeys = new Set(open.map(e => subjectKey(e.subject)))
        const keep = new Set([...ev.breaches.map(b => subjectKey(b.subject)), ...ev.unknown.map(subjectKey)])
        const fired: AlertEvent[] = []
        for (const b of ev.breaches) {
          const key = subjectKey(b.subject)
          if (openKeys.has(key)) continue
          openKeys.add(key) // a subject listed twice fires once
          const r = await q.one(`INSERT INTO alert_events
            (rule_id, subject_type, subject_id, subject_name, tenant_id, message, fired_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          rule.id, b.subject.type, b.subject.id, b.subject.name, b.tenantId, b.message, ev.at)
          const id = Number(r!.id)
          await queue(q, id, 'fired', rule.webhookUrl, ev.at)
          fired.push(await eventById(q, id))
        }
        const resolved = await resolveAll(q, open.filter(e => !keep.has(subjectKey(e.subject))), ev.at, rule.webhookUrl)
        return { fired, resolved, stale: false }
      })
    },

    async listEvents ({ limit, tenantId }) {
      const tenant = tenantId === undefined ? '' : 'AND e.tenant_id = ?'
      const args: unknown[] = tenantId === undefined ? [] : [tenantId]
      const open = await db.all(`${EVENT_SQL} WHERE e.resolved_at IS NULL ${tenant} ORDER BY e.fired_at DESC, e.id DESC LIMIT ?`, ...args, limit)
      const rest = limit - open.length
      const resolved = rest <= 0
        ? []
        : await db.all(`${EVENT_SQL} WHERE e.resolved_at IS NOT NULL ${tenant} ORDER BY e.fired_at DESC, e.id DESC LIMIT ?`, ...args, rest)
      return [...open, ...resolved].map(toEvent)
    },

    async dueDeliveries (at, limit) {
      const rows = await db.all(`SELECT d.*, r.threshold FROM alert_deliveries d
        JOIN alert_events e ON e.id = d.event_id JOIN alert_rules r ON r.id = e.rule_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND ${HEAD_OF_EVENT} ORDER BY d.next_attempt_at, d.id LIMIT ?`, at, limit)
      const out: DueDelivery[] = []
      for (const r of rows) out.push({ ...toDelivery(r), event: await eventById(db, Number(r.event_id)), threshold: Number(r.threshold) })
      return out
    },

    async nextDeliveryAt () {
      const r = await db.one(`SELECT MIN(d.next_attempt_at) AS at FROM alert_deliveries d WHERE d.status = 'pending' AND ${HEAD_OF_EVENT}`)
      return r?.at === null || r?.at === undefined ? null : Number(r.at)
    },

    async recordDeliveryAttempt (id, outcome) {
      if (outcome.ok) {
        await db.run(`UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL
          WHERE id = ? AND status = 'pending'`, outcome.at, id)
        return
      }
      await db.run(`UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = ?
        WHERE id = ? AND status = 'pending'`,
      outcome.error.slice(0, 500), outcome.retryAt === null ? 'failed' : 'pending', outcome.retryAt ?? outcome.at, id)
    },

    async listDeliveries (filter = {}) {
      const rows = filter.eventId === undefined
        ? await db.all('SELECT * FROM alert_deliveries ORDER BY id')
        : await db.all('SELECT * FROM alert_deliveries WHERE event_id = ? ORDER BY id', filter.eventId)
      return rows.map(toDelivery)
    },
  }
}
