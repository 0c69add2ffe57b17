import type { WebhookFormat } from './webhook-format.ts'

/**
 * Alert storage (seed 003 "Alerts"), async so SQLite and PostgreSQL serve the same interface:
 * the built-in rules, durable events (one open event per rule and subject at a time) and the
 * webhook deliveries queued for them. Times are UTC epoch milliseconds. Business rules (what
 * breaches a rule, threshold ranges, retry policy) live in control-plane/alerts. Rule types are
 * names the store keeps as given: which exist is control-plane/alerts/rules/alert-rules.ts's list.
 */

export type AlertSubjectType = 'gpu' | 'node' | 'tenant'

export interface AlertRule {
  id: number
  ruleType: string
  threshold: number
  enabled: boolean
  webhookUrl: string | null
  /** What the webhook speaks (webhook-format.ts); 'gpufleet' when none was chosen. */
  webhookFormat: WebhookFormat
  description: string
  updatedAt: number
  /** Open (unresolved) events of this rule. */
  activeEvents: number
}

export interface AlertSubject {
  type: AlertSubjectType
  id: number
  /** For people: "gpu-01/3", a hostname, a tenant name. */
  name: string | null
}

export interface AlertEvent {
  id: number
  ruleId: number
  ruleType: string
  subject: AlertSubject
  /** The tenant the event concerns (its quota, or the tenant holding the idle GPU); null for fleet health. */
  tenantId: number | null
  message: string
  firedAt: number
  resolvedAt: number | null
  /** Until then no webhook is queued for this rule and subject, and a new event of it inherits the silence. */
  silencedUntil: number | null
}

export interface AlertBreach {
  subject: AlertSubject
  tenantId: number | null
  message: string
}

/** One pass of one rule: which subjects are in breach now. */
export interface RuleEvaluation {
  ruleId: number
  at: number
  /** The threshold the pass judged by: if the rule changed meanwhile the pass is stale and nothing is applied. */
  threshold: number
  breaches: readonly AlertBreach[]
  /** Subjects that could not be judged (no data): an open event stays open, none fires. */
  unknown: readonly AlertSubject[]
}

export interface EvaluationResult {
  fired: AlertEvent[]
  resolved: AlertEvent[]
  /** The rule was disabled or its threshold changed since the pass read it: nothing applied. */
  stale: boolean
}

/** Fields left undefined keep their stored value. */
export interface RulePatch {
  enabled?: boolean | undefined
  threshold?: number | undefined
  /** null removes the webhook (and resets its format to the default). */
  webhookUrl?: string | null | undefined
  webhookFormat?: WebhookFormat | undefined
}

/** A registered rule type's row as it is first written (its rule file's defaults). */
export interface RuleDefaults {
  ruleType: string
  threshold: number
  enabled: boolean
  description: string
}

export type DeliveryKind = 'fired' | 'resolved'
export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookDelivery {
  id: number
  eventId: number
  kind: DeliveryKind
  /** The rule's URL when the delivery was queued (a later edit does not redirect it). */
  url: string
  /** The rule's webhook format when the delivery was queued, as its URL. */
  format: WebhookFormat
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: number
  lastError: string | null
  createdAt: number
  deliveredAt: number | null
}

/** A due delivery with what its payload is rendered from. */
export interface DueDelivery extends WebhookDelivery {
  event: AlertEvent
  threshold: number
}

/** An open event as its rule's webhook should hear it again now (Alertmanager's re-posts). */
export interface AlertToResend {
  /** The rule's URL now (not a queued delivery's). */
  url: string
  event: AlertEvent
  threshold: number
}

export type DeliveryOutcome =
  | { ok: true, at: number }
  /** retryAt null: give up (status 'failed'). */
  | { ok: false, at: number, error: string, retryAt: number | null }

export interface AlertEventQuery {
  limit: number
  /** Only events concerning this tenant. */
  tenantId?: number | undefined
}

export interface AlertRepository {
  /** The rules (ensureRules' rows, the first three seeded by the migration), ordered by id. */
  listRules: () => Promise<AlertRule[]>
  /**
   * Inserts a row for each type that has none yet, in the given order, numbered after the
   * highest id (as the seed numbers 1–3); a type's existing row is never touched, so a
   * threshold an operator changed stays. Returns the types it inserted.
   */
  ensureRules: (defaults: readonly RuleDefaults[]) => Promise<string[]>
  getRule: (id: number) => Promise<AlertRule | null>
  /**
   * Applies the patch in one transaction. Disabling resolves the rule's open events at `at`
   * (queued to its webhook like any resolution). null when there is no such rule.
   */
  updateRule: (id: number, patch: RulePatch, at: number) => Promise<{ rule: AlertRule, resolved: AlertEvent[] } | null>
  /**
   * One transaction: a breach without an open event fires one; an open event whose subject is
   * neither in breach nor unknown resolves. Each fired/resolved event is queued to the rule's
   * webhook, if it has one. A disabled rule's open events all resolve.
   */
  applyEvaluation: (evaluation: RuleEvaluation) => Promise<EvaluationResult>
  /** Silences the event (its rule and subject) until `until`; null when there is no such event. */
  silenceEvent: (id: number, until: number) => Promise<AlertEvent | null>
  /**
   * Resolves every open event about these subjects, whatever the rule (a deleted node, its
   * GPUs), queued to each rule's webhook unless silenced.
   */
  resolveSubjects: (subjects: ReadonlyArray<Pick<AlertSubject, 'type' | 'id'>>, at: number) => Promise<AlertEvent[]>
  /** Open events first (newest first), then resolved ones (newest first). */
  listEvents: (query: AlertEventQuery) => Promise<AlertEvent[]>

  /**
   * Pending deliveries due at `at`, oldest first. Per event they go in order: a delivery waits
   * while an earlier one of the same event is pending (so "resolved" never overtakes "fired").
   */
  dueDeliveries: (at: number, limit: number) => Promise<DueDelivery[]>
  /** When the next pending delivery (that is not waiting behind its event's earlier one) is due; null when none. */
  nextDeliveryAt: () => Promise<number | null>
  recordDeliveryAttempt: (id: number, outcome: DeliveryOutcome) => Promise<void>
  /**
   * Open events, not silenced at `at`, of enabled rules whose webhook speaks `format`, with no
   * delivery of theirs pending (a queued "fired" or "resolved" goes first, in order), by event id.
   */
  openAlertsToResend: (format: WebhookFormat, at: number) => Promise<AlertToResend[]>
  /** Ordered by id (operators' and tests' view of the queue). */
  listDeliveries: (filter?: { eventId?: number | undefined }) => Promise<WebhookDelivery[]>
}
