import type {
  AlertEvent, AlertRepository, AlertRule, AlertSubject, AlertSubjectType, DeliveryKind, DeliveryStatus,
  DueDelivery, EvaluationResult, WebhookDelivery,
} from '../alert-repository.ts'
import type { Row, SqlDb, SqlQuery } from '../sql-db.ts'
import { ALERTS_LOCK } from '../store-locks.ts'
import { numOrNull, strOrNull } from './cells.ts'
import { DEFAULT_WEBHOOK_FORMAT, type WebhookFormat } from '../webhook-format.ts'


const RULE_SQL = `SELECT r.*, (SELECT COUNT(*) FROM alert_events e WHERE e.rule_id = r.id AND e.resolved_at IS NULL) AS active_events
  FROM alert_rules r`
const EVENT_SQL = 'SELECT e.*, r.rule_type FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id'

// Per event, deliveries go out in order (a receiver never hears "resolved" before "fired"):
// one waits while an earlier one of its event is still pending.
const HEAD_OF_EVENT = `NOT EXISTS (SELECT 1 FROM alert_deliveries p WHERE p.event_id = d.event_id AND p.id < d.id AND p.status = 'pending')`

/** Where and how a delivery is sent, copied onto the delivery when it is queued. */
interface Hook { url: string, format: WebhookFormat }
const hookOf = (r: Pick<AlertRule, 'webhookUrl' | 'webhookFormat'>): Hook | null =>
  r.webhookUrl === null ? null : { url: r.webhookUrl, format: r.webhookFormat }

const subjectKey = (s: Pick<AlertSubject, 'type' | 'id'>): string => `${s.type}:${s.id}`

function toRule (r: Row): AlertRule {
  return {
    id: Number(r.id),
    ruleType: String(r.rule_type),
    threshold: Number(r.threshold),
    enabled: Number(r.enabled) === 1,
    webhookUrl: strOrNull(r.webhook_url),
    webhookFormat: (strOrNull(r.webhook_format) ?? DEFAULT_WEBHOOK_FORMAT) as WebhookFormat,
    description: String(r.description),
    updatedAt: Number(r.updated_at),
    activeEvents: Number(r.active_events ?? 0),
  }
}

function toEvent (r: Row): AlertEvent {
  return {
    id: Number(r.id),
    ruleId: Number(r.rule_id),
    ruleType: String(r.rule_type),
    subject: { type: r.subject_type as AlertSubjectType, id: Number(r.subject_id), name: strOrNull(r.subject_name) },
    tenantId: numOrNull(r.tenant_id),
    message: String(r.message),
    firedAt: Number(r.fired_at),
    resolvedAt: numOrNull(r.resolved_at),
    silencedUntil: numOrNull(r.silenced_until),
  }
}

const silenced = (e: AlertEvent, at: number): boolean => e.silencedUntil !== null && e.silencedUntil > at

function toDelivery (r: Row): WebhookDelivery {
  return {
    id: Number(r.id),
    eventId: Number(r.event_id),
    kind: r.kind as DeliveryKind,
    url: String(r.url),
    format: (strOrNull(r.format) ?? DEFAULT_WEBHOOK_FORMAT) as WebhookFormat,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: strOrNull(r.last_error),
    createdAt: Number(r.created_at),
    deliveredAt: numOrNull(r.delivered_at),
  }
}

/** Alert rules, events and webhook deliveries on either engine (enabled is 0/1 on both). */
export function createSqlAlertRepository (db: SqlDb): AlertRepository {
  const ruleById = async (q: SqlQuery, id: number): Promise<AlertRule | null> => {
    const r = await q.one(`${RULE_SQL} WHERE r.id = ?`, id)
    return r === undefined ? null : toRule(r)
  }
  const eventById = async (q: SqlQuery, id: number): Promise<AlertEvent> => toEvent((await q.one(`${EVENT_SQL} WHERE e.id = ?`, id))!)

  const queue = async (q: SqlQuery, eventId: number, kind: DeliveryKind, hook: Hook | null, at: number) => {
    if (hook === null) return
    await q.run(`INSERT INTO alert_deliveries (event_id, kind, url, format, status, attempts, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`, eventId, kind, hook.url, hook.format, at, at)
  }

  const resolveAll = async (q: SqlQuery, events: AlertEvent[], at: number, hook: Hook | null): Promise<AlertEvent[]> => {
    const out: AlertEvent[] = []
    for (const e of events) {
      await q.run('UPDATE alert_events SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL', at, e.id)
      await queue(q, e.id, 'resolved', silenced(e, at) ? null : hook, at)
      out.push(await eventById(q, e.id))
    }
    return out
  }

  const openEventsOf = async (q: SqlQuery, ruleId: number): Promise<AlertEvent[]> =>
    (await q.all(`${EVENT_SQL} WHERE e.rule_id = ? AND e.resolved_at IS NULL ORDER BY e.id`, ruleId)).map(toEvent)

  return {
    async listRules () {
      return (await db.all(`${RULE_SQL} ORDER BY r.id`)).map(toRule)
    },

    async ensureRules (defaults) {
      return db.tx(ALERTS_LOCK, async q => {
        const added: string[] = []
        for (const d of defaults) {
          // WHERE true: SQLite would read an upsert's ON after a bare FROM as a join constraint.
          // updated_at 0, as the seed's rows: no operator has changed the row yet.
          const r = await q.one(`INSERT INTO alert_rules (id, rule_type, threshold, enabled, description, updated_at)
            SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, 0 FROM alert_rules WHERE true
            ON CONFLICT (rule_type) DO NOTHING RETURNING rule_type`, d.ruleType, d.threshold, d.enabled ? 1 : 0, d.description)
          if (r !== undefined) added.push(String(r.rule_type))
        }
        return added
      })
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
        // Removing the webhook forgets its format too; otherwise a format stays until changed.
        const webhookFormat = patch.webhookFormat ?? (patch.webhookUrl === null ? DEFAULT_WEBHOOK_FORMAT : before.webhookFormat)
        await q.run('UPDATE alert_rules SET enabled = ?, threshold = ?, webhook_url = ?, webhook_format = ?, updated_at = ? WHERE id = ?',
          enabled ? 1 : 0, threshold, webhookUrl, webhookFormat, at, id)
        // A disabled rule watches nothing, so nothing of it stays open (the receiver hears why).
        const resolved = enabled ? [] : await resolveAll(q, await openEventsOf(q, id), at, hookOf({ webhookUrl, webhookFormat }))
        return { rule: (await ruleById(q, id))!, resolved }
      })
    },

    async applyEvaluation (ev) {
      return db.tx(ALERTS_LOCK, async (q): Promise<EvaluationResult> => {
        const rule = await ruleById(q, ev.ruleId)
        if (rule === null) throw new Error(`no alert rule ${ev.ruleId}`)
        const open = await openEventsOf(q, rule.id)
        if (!rule.enabled) return { fired: [], resolved: await resolveAll(q, open, ev.at, hookOf(rule)), stale: false }
        if (rule.threshold !== ev.threshold) return { fired: [], resolved: [], stale: true }

        const openKeys = new Set(open.map(e => subjectKey(e.subject)))
        // Silences still running, per subject: a re-fire inherits its subject's and stays quiet.
        const silences = new Map<string, number>()
        for (const r of await q.all(`SELECT subject_type, subject_id, MAX(silenced_until) AS silenced FROM alert_events
            WHERE rule_id = ? AND silenced_until > ? GROUP BY subject_type, subject_id`, rule.id, ev.at)) {
          silences.set(subjectKey({ type: r.subject_type as AlertSubjectType, id: Number(r.subject_id) }), Number(r.silenced))
        }
        const keep = new Set([...ev.breaches.map(b => subjectKey(b.subject)), ...ev.unknown.map(subjectKey)])
        const fired: AlertEvent[] = []
        for (const b of ev.breaches) {
          const key = subjectKey(b.subject)
          if (openKeys.has(key)) continue
          openKeys.add(key) // a subject listed twice fires once
          const until = silences.get(key) ?? null
          const r = await q.one(`INSERT INTO alert_events
            (rule_id, subject_type, subject_id, subject_name, tenant_id, message, fired_at, silenced_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          rule.id, b.subject.type, b.subject.id, b.subject.name, b.tenantId, b.message, ev.at, until)
          const id = Number(r!.id)
          await queue(q, id, 'fired', until === null ? hookOf(rule) : null, ev.at)
          fired.push(await eventById(q, id))
        }
        const resolved = await resolveAll(q, open.filter(e => !keep.has(subjectKey(e.subject))), ev.at, hookOf(rule))
        return { fired, resolved, stale: false }
      })
    },

    async silenceEvent (id, until) {
      return db.tx(ALERTS_LOCK, async q => {
        if (await q.run('UPDATE alert_events SET silenced_until = ? WHERE id = ?', until, id) === 0) return null
        return eventById(q, id)
      })
    },

    async resolveSubjects (subjects, at) {
      if (subjects.length === 0) return []
      return db.tx(ALERTS_LOCK, async q => {
        const keys = new Set(subjects.map(subjectKey))
        const out: AlertEvent[] = []
        for (const rule of (await q.all('SELECT id, webhook_url, webhook_format FROM alert_rules ORDER BY id'))) {
          const open = (await openEventsOf(q, Number(rule.id))).filter(e => keys.has(subjectKey(e.subject)))
          out.push(...await resolveAll(q, open, at, hookOf(toRule(rule))))
        }
        return out
      })
    },

    async listEvents ({ limit, tenantId }) {
      // Two index walks instead of sorting the whole history: open events, then the newest resolved.
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
      return numOrNull(r?.at)
    },

    async openAlertsToResend (format, at) {
      const rows = await db.all(`SELECT e.*, r.rule_type, r.threshold, r.webhook_url FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id
        WHERE e.resolved_at IS NULL AND r.enabled = 1 AND r.webhook_url IS NOT NULL AND r.webhook_format = ?
          AND (e.silenced_until IS NULL OR e.silenced_until <= ?)
          AND NOT EXISTS (SELECT 1 FROM alert_deliveries p WHERE p.event_id = e.id AND p.status = 'pending')
        ORDER BY e.id`, format, at)
      return rows.map(r => ({ url: String(r.webhook_url), event: toEvent(r), threshold: Number(r.threshold) }))
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
