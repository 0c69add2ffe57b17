import type { FleetOp } from '../fleet-action.ts'
import { positiveInt } from './cli-error.ts'
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

export const silenceAlertEvent: FleetOp = async (ctx, [id], o) => {
  const minutes = positiveInt(o.minutes as string | undefined, '--minutes') ?? 60
  const event = await ctx.controlPlane().silenceAlertEvent(positiveInt(id, 'event id') ?? 0, { minutes })
  ctx.print(event, () => `alert event ${event.id} silenced until ${event.silencedUntil}\n`)
}

export const listAlertRules: FleetOp = async ctx => {
  const rules = await ctx.controlPlane().listAlertRules()
  ctx.print(rules, () => formatTable(rules, [
    ['ID', r => r.id], ['RULE', r => r.ruleType], ['ENABLED', r => r.enabled ? 'yes' : 'no'], ['THRESHOLD', r => `${r.threshold} ${r.thresholdUnit}`],
    ['ACTIVE', r => r.activeEvents], ['WEBHOOK', r => r.webhookUrl], ['WHAT', r => r.description],
  ]))
}
