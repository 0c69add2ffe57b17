import type { DueDelivery } from '../store/alert-repository.ts'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/**
 * The JSON a webhook receives. `event` says which transition this is; `event_id` is stable
 * across retries and `delivery_id` per transition, so a receiver can drop duplicates (delivery
 * is at least once: a crash between the POST and its record resends it).
 */
export function webhookPayload (d: DueDelivery) {
  const e = d.event
  return {
    event: d.kind,
    event_id: e.id,
    delivery_id: d.id,
    rule: { id: e.ruleId, rule_type: e.ruleType, threshold: d.threshold },
    subject: { type: e.subject.type, id: e.subject.id, name: e.subject.name },
    tenant_id: e.tenantId,
    message: e.message,
    fired_at: iso(e.firedAt),
    // A "fired" notice describes the firing, even when it is (re)sent after the event cleared.
    resolved_at: d.kind === 'fired' ? null : iso(e.resolvedAt),
  }
}
