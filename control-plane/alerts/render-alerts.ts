import type { AlertEvent, AlertRule } from '../store/alert-repository.ts'
import { alertRuleKind } from './rules/alert-rules.ts'
import { redactWebhookUrl } from './webhook-url.ts'

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** Seed 003's rule shape ({id, rule_type, threshold, enabled, active_events}) plus what the seed leaves out. */
export function ruleJson (r: AlertRule, opts: { showWebhook: boolean }) {
  const kind = alertRuleKind(r.ruleType)
  return {
    id: r.id,
    rule_type: kind.type,
    threshold: r.threshold,
    enabled: r.enabled,
    active_events: r.activeEvents,
    threshold_unit: kind.threshold.unit,
    description: r.description,
    webhook_url: r.webhookUrl === null || opts.showWebhook ? r.webhookUrl : redactWebhookUrl(r.webhookUrl),
    // The format belongs to the webhook: without one there is nothing to speak it.
    ...(r.webhookUrl === null ? {} : { webhook_format: r.webhookFormat }),
    updated_at: iso(r.updatedAt) as string,
  }
}

export function eventJson (e: AlertEvent) {
  return {
    id: e.id,
    rule_id: e.ruleId,
    rule_type: alertRuleKind(e.ruleType).type,
    status: e.resolvedAt === null ? 'active' as const : 'resolved' as const,
    subject: { type: e.subject.type, id: e.subject.id, name: e.subject.name },
    tenant_id: e.tenantId,
    message: e.message,
    fired_at: iso(e.firedAt) as string,
    resolved_at: iso(e.resolvedAt),
    silenced_until: iso(e.silencedUntil),
  }
}
