import type { SQLInputValue } from 'node:sqlite'
import type {
  AlertEvent, AlertRepository, AlertRule, AlertSubject, AlertSubjectType, DeliveryKind, DeliveryStatus,
  DueDelivery, EvaluationResult, WebhookDelivery,
} from '../alert-repository.ts'
import type { SqliteDb } from './sqlite-db.ts'

type Row = Record<string, unknown>

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

export const RULE_SQL = `SELECT r.*, (SELECT COUNT(*) FROM alert_events e WHERE e.rule_id = r.id AND e.resolved_at IS NULL) AS active_events
  FROM alert_rules r`
export const EVENT_SQL = 'SELECT e.*, r.rule_type FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id'

export function toRule (r: Row): AlertRule {
  return {
    id: Number(r.id),
    ruleType: String(r.rule_type),
    threshold: Number(r.threshold),
    enabled: Number(r.enabled) === 1,
    webhookUrl: strOrNull(r.webhook_url),
    description: String(r.description),
    updatedAt: Number(r.updated_at),
    activeEvents: Number(r.active_events ?? 0),
  }
}

export function toEvent (r: Row): AlertEvent {
  return {
    id: Number(r.id),
    ruleId: Number(r.rule_id),
    ruleType: String(r.rule_type),
    subject: { type: r.subject_type as AlertSubjectType, id: Number(r.subject_id), name: strOrNull(r.subject_name) },
    tenantId: numOrNull(r.tenant_id),
    message: String(r.message),
    firedAt: Number(r.fired_at),
    resolvedAt: numOrNull(r.resolved_at),
  }
}

export function toDelivery (r: Row): WebhookDelivery {
  return {
    id: Number(r.id),
    eventId: Number(r.event_id),
    kind: r.kind as DeliveryKind,
    url: String(r.url),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: strOrNull(r.last_error),
    createdAt: Number(r.created_at),
    deliveredAt: numOrNull(r.delivered_at),
  }
}

// Per event, deliveries go out in order (a receiver never hears "resolved" before "fired"):
// one waits while an earlier one of its event is still pending.
export const HEAD_OF_EVENT = `NOT EXISTS (SELECT 1 FROM alert_deliveries p WHERE p.event_id = d.event_id AND p.id < d.id AND p.status = 'pending')`

export const subjectKey = (s: Pick<AlertSubject, 'type' | 'id'>): string => `${s.type}:${s.id}`

export function createSqliteAlertRepository (db: SqliteDb): AlertRepository {

  const one = (sql: string, ...args: SQLInputValue[]): Row | undefined => db.stmt(sql).get(...args) as Row | undefined
  const all = (sql: string, ...args: SQLInputValue[]): Row[] => db.stmt(sql).all(...args) as Row[]

  const ruleById = (id: number): AlertRule | null => {
    const r = one(`${RULE_SQL} WHERE r.id = ?`, id)
    return r === undefined ? null : toRule(r)
  }
  const eventById = (id: number): AlertEvent => toEvent(one(`${EVENT_SQL} WHERE e.id = ?`, id) as Row)

  const queue = (eventId: number, kind: DeliveryKind, url: string | null, at: number): void => {
    if (url === null) return
    db.stmt(`INSERT INTO alert_deliveries (event_id, kind, url, status, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?)`).run(eventId, kind, url, at, at)
  }

  const resolve = (eventId: number, at: number, url: string | null): AlertEvent => {
    db.stmt('UPDATE alert_events SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL').run(at, eventId)
    queue(eventId, 'resolved', url, at)
    return eventById(eventId)
  }

  const openEventsOf = (ruleId: number): AlertEvent[] =>
    all(`${EVENT_SQL} WHERE e.rule_id = ? AND e.resolved_at IS NULL ORDER BY e.id`, ruleId).map(toEvent)

  return {
    async listRules () {
      return all(`${RULE_SQL} ORDER BY r.id`).map(toRule)
    },

    async getRule (id) {
      return ruleById(id)
    },

    async updateRule (id, patch, at) {
      return db.tx(() => {
        const before = ruleById(id)
        if (before === null) return null
        const enabled = patch.enabled ?? before.enabled
        const threshold = patch.threshold ?? before.threshold
        const webhookUrl = patch.webhookUrl === undefined ? before.webhookUrl : patch.webhookUrl
        db.stmt('UPDATE alert_rules SET enabled = ?, threshold = ?, webhook_url = ?, updated_at = ? WHERE id = ?')
          .run(enabled ? 1 : 0, threshold, webhookUrl, at, id)
        // A disabled rule watches nothing, so nothing of it stays open (the receiver hears why).
        const resolved = enabled ? [] : openEventsOf(id).map(e => resolve(e.id, at, webhookUrl))
        return { rule: ruleById(id) as AlertRule, resolved }
      })
    },

    async applyEvaluation (ev) {
      return db.tx((): EvaluationResult => {
        const rule = ruleById(ev.ruleId)
        if (rule === null) throw new Error(`no alert rule ${ev.ruleId}`)
        const open = openEventsOf(rule.id)
        if (!rule.enabled) {
          return { fired: [], resolved: open.map(e => resolve(e.id, ev.at, rule.webhookUrl)), stale: false }
        }
        if (rule.threshold !== ev.threshold) return { fired: [], resolved: [], stale: true }

        const openKeys = new Set(open.map(e => subjectKey(e.subject)))
        const keep = new Set([...ev.breaches.map(b => subjectKey(b.subject)), ...ev.unknown.map(subjectKey)])
        const fired: AlertEvent[] = []
        for (const b of ev.breaches) {
          const key = subjectKey(b.subject)
          if (openKeys.has(key)) continue
          openKeys.add(key) // a subject listed twice fires once
          const { lastInsertRowid } = db.stmt(`INSERT INTO alert_events
            (rule_id, subject_type, subject_id, subject_name, tenant_id, message, fired_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
            .run(rule.id, b.subject.type, b.subject.id, b.subject.name, b.tenantId, b.message, ev.at)
          queue(Number(lastInsertRowid), 'fired', rule.webhookUrl, ev.at)
          fired.push(eventById(Number(lastInsertRowid)))
        }
        const resolved = open.filter(e => !keep.has(subjectKey(e.subject))).map(e => resolve(e.id, ev.at, rule.webhookUrl))
        return { fired, resolved, stale: false }
      })
    },

    async listEvents ({ limit, tenantId }) {
      // Two index walks instead of sorting the whole history: open events, then the newest resolved.
      const tenant = tenantId === undefined ? '' : 'AND e.tenant_id = ?'
      const args: SQLInputValue[] = tenantId === undefined ? [] : [tenantId]
      const open = all(`${EVENT_SQL} WHERE e.resolved_at IS NULL ${tenant} ORDER BY e.fired_at DESC, e.id DESC LIMIT ?`, ...args, limit)
      const rest = limit - open.length
      const resolved = rest <= 0
        ? []
        : all(`${EVENT_SQL} WHERE e.resolved_at IS NOT NULL ${tenant} ORDER BY e.fired_at DESC, e.id DESC LIMIT ?`, ...args, rest)
      return [...open, ...resolved].map(toEvent)
    },

    async dueDeliveries (at, limit) {
      const rows = all(`SELECT d.*, r.threshold FROM alert_deliveries d
        JOIN alert_events e ON e.id = d.event_id JOIN alert_rules r ON r.id = e.rule_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND ${HEAD_OF_EVENT} ORDER BY d.next_attempt_at, d.id LIMIT ?`, at, limit)
      return rows.map((r): DueDelivery => ({ ...toDelivery(r), event: eventById(Number(r.event_id)), threshold: Number(r.threshold) }))
    },

    async nextDeliveryAt () {
      const r = one(`SELECT MIN(d.next_attempt_at) AS at FROM alert_deliveries d WHERE d.status = 'pending' AND ${HEAD_OF_EVENT}`)
      return numOrNull(r?.at)
    },

    async recordDeliveryAttempt (id, outcome) {
      if (outcome.ok) {
        db.stmt(`UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL
          WHERE id = ? AND status = 'pending'`).run(outcome.at, id)
        return
      }
      db.stmt(`UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?, status = ?, next_attempt_at = ?
        WHERE id = ? AND status = 'pending'`)
        .run(outcome.error.slice(0, 500), outcome.retryAt === null ? 'failed' : 'pending', outcome.retryAt ?? outcome.at, id)
    },

    async listDeliveries (filter = {}) {
      const rows = filter.eventId === undefined
        ? all('SELECT * FROM alert_deliveries ORDER BY id')
        : all('SELECT * FROM alert_deliveries WHERE event_id = ? ORDER BY id', filter.eventId)
      return rows.map(toDelivery)
    },
  }
}
