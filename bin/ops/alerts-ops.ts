import type { FleetOp } from '../fleet-action.ts'
import type { AlertRulePatch } from '../../shared/sdk/control-plane-types.ts'
import { MAX_SILENCE_MINUTES } from '../../shared/wire/alert-silence.ts'
import { oneOf, positiveInt, usageError } from './cli-error.ts'
import { formatTable } from './print-table.ts'

export const listAlertEvents: FleetOp = async (ctx, _args, o) => {
  const limit = positiveInt(o.limit as string | undefined, '--limit')
  const events = await ctx.controlPlane().listAlertEvents(limit === undefined ? {} : { limit })
  ctx.print(events, () => events.length === 0
    ? 'no alert events\n'
    : formatTable(events, [
      ['ID', e => e.id], ['STATUS', e => e.status === 'active' ? 'ACTIVE' : e.status], ['RULE', e => e.ruleType],
      ['SUBJECT', e => `${e.subject.type} ${e.subject.name ?? e.subject.id}`], ['FIRED', e => e.firedAt], ['RESOLVED', e => e.resolvedAt], ['MESSAGE', e => e.message],
    ]))
}

/** Checked here as the API checks it, so a bad --minutes is one usage line, never the API's list of issues. */
export const silenceAlertEvent: FleetOp = async (ctx, [id], o) => {
  const eventId = positiveInt(id, 'event id') ?? 0
  const minutes = positiveInt(o.minutes as string | undefined, '--minutes') ?? 60
  if (minutes > MAX_SILENCE_MINUTES) throw usageError(`--minutes must be at most ${MAX_SILENCE_MINUTES} (30 days), got ${minutes}`)
  const event = await ctx.controlPlane().silenceAlertEvent(eventId, { minutes })
  ctx.print(event, () => `alert event ${event.id} silenced until ${event.silencedUntil}\n`)
}

export const listAlertRules: FleetOp = async ctx => {
  const rules = await ctx.controlPlane().listAlertRules()
  ctx.print(rules, () => formatTable(rules, [
    ['ID', r => r.id], ['RULE', r => r.ruleType], ['ENABLED', r => r.enabled ? 'yes' : 'no'], ['THRESHOLD', r => `${r.threshold} ${r.thresholdUnit}`],
    ['ACTIVE', r => r.activeEvents], ['WEBHOOK', r => r.webhookUrl], ['WHAT', r => r.description],
  ]))
}

// Every format the API takes (a Record, so a new one fails the type check until listed).
const WEBHOOK_FORMATS = Object.keys({ gpufleet: 1, alertmanager: 1, 'alertmanager-api': 1 } satisfies Record<NonNullable<AlertRulePatch['webhookFormat']>, 1>)

/** PATCH /api/alerts/rules/:id: only the flags given are sent; the API judges the threshold's range. */
export const setAlertRule: FleetOp = async (ctx, [id], o) => {
  const ruleId = positiveInt(id, 'rule id') ?? 0
  const threshold = o.threshold === undefined ? undefined : String(o.threshold)
  if (threshold !== undefined && !/^-?[0-9]+(\.[0-9]+)?$/.test(threshold)) throw usageError(`--threshold must be a number, got ${JSON.stringify(threshold)}`)
  const enabled = oneOf(o.enabled, ['true', 'false'], '--enabled')
  const patch: AlertRulePatch = {
    ...(threshold !== undefined && { threshold: Number(threshold) }),
    ...(enabled !== undefined && { enabled: enabled === 'true' }),
    // --no-webhook: the API's null removes it.
    ...(o.webhook !== undefined && { webhookUrl: o.webhook === false ? null : String(o.webhook) }),
    ...(o.webhookFormat !== undefined && { webhookFormat: oneOf(o.webhookFormat, WEBHOOK_FORMATS, '--webhook-format') as AlertRulePatch['webhookFormat'] }),
  }
  if (Object.keys(patch).length === 0) throw usageError('nothing to set: pass one or more of --threshold, --enabled, --webhook, --no-webhook, --webhook-format')
  const rule = await ctx.controlPlane().updateAlertRule(ruleId, patch)
  ctx.print(rule, () => `rule ${rule.id} (${rule.ruleType}): ${rule.enabled ? 'enabled' : 'disabled'}, threshold ${rule.threshold} ${rule.thresholdUnit}, webhook ${rule.webhookUrl ?? 'none'}\n`)
}
