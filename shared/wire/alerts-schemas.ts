import { z } from '@hono/zod-openapi'
import { queryInt } from './query-params.ts'
import { MAX_SILENCE_MINUTES } from './alert-silence.ts'

/**
 * Request and response schemas of the alert routes. Which rule types exist is the server's
 * registry (control-plane/alerts/rules/): here a type is a name, so a client keeps working when
 * one is added; the server builds the same shapes with its types spelled out
 * (control-plane/alerts/alert-route-schemas.ts), which also document /openapi.json.
 */

/** What a rule's webhook speaks (control-plane/store/webhook-format.ts keeps the same list). */
export const WEBHOOK_FORMATS = ['gpufleet', 'alertmanager', 'alertmanager-api'] as const
const WEBHOOK_FORMAT_HELP = 'gpufleet (default): gpufleet\'s JSON; alertmanager: Alertmanager\'s webhook_config payload (version 4), ' +
  'for receivers written for Alertmanager; alertmanager-api: postable alerts for an Alertmanager (webhook_url ends in /api/v2/alerts), ' +
  'so its routing, Slack and PagerDuty receivers take over. Removing the webhook resets it.'

/** Longest webhook URL a rule may name. */
export const WEBHOOK_URL_MAX = 2048

export const ruleIdParamSchema = z.object({
  // Digits only (no "1e3", "0x1"); 15 digits keeps it a safe integer.
  id: z.string().regex(/^[0-9]{1,15}$/, 'must be a positive integer id').openapi({ param: { name: 'id', in: 'path' }, example: '1' }),
})

export const rulePatchSchemaWith = (thresholdHelp: string) => z.object({
  enabled: z.boolean().optional().openapi({ example: false }),
  threshold: z.number().optional()
    .openapi({ description: thresholdHelp, example: 60 }),
  webhook_url: z.string().max(WEBHOOK_URL_MAX).nullable().optional()
    .openapi({ description: 'http(s) URL each fired and resolved event is POSTed to; null removes it', example: 'https://hooks.example.com/gpufleet' }),
  webhook_format: z.enum(WEBHOOK_FORMATS).optional()
    .openapi({ description: WEBHOOK_FORMAT_HELP, example: 'alertmanager' }),
}).strict().refine(b => b.enabled !== undefined || b.threshold !== undefined || b.webhook_url !== undefined || b.webhook_format !== undefined, {
  message: 'give at least one of enabled, threshold, webhook_url, webhook_format',
}).openapi('AlertRulePatch')
export const rulePatchSchema = rulePatchSchemaWith('Meaning, unit and range depend on the rule type')

export const eventsQuerySchema = z.object({
  limit: queryInt('limit', 1, 100, 'Max events to return, 1–100 (default 50)', '50'),
})

export const silenceBodySchema = z.object({
  minutes: z.number().int().min(1).max(MAX_SILENCE_MINUTES).optional()
    .openapi({ description: `Silence for this many minutes from now, 1–${MAX_SILENCE_MINUTES}`, example: 60 }),
  until: z.iso.datetime({ offset: true }).optional()
    .openapi({ description: 'Silence until this time (ISO 8601, at most 30 days ahead; a past time ends the silence)', example: '2026-05-09T12:00:00Z' }),
}).strict().refine(b => (b.minutes === undefined) !== (b.until === undefined), {
  message: 'give exactly one of minutes, until',
}).openapi('AlertSilence')

const ruleTypeName = z.string().openapi({ example: 'idle_gpu' })

export const ruleSchemaWith = <T extends z.ZodType<string>, U extends z.ZodType<string>> (ruleType: T, thresholdUnit: U) => z.object({
  id: z.number().int().openapi({ example: 1 }),
  rule_type: ruleType,
  threshold: z.number().openapi({ example: 60 }),
  enabled: z.boolean(),
  active_events: z.number().int().openapi({ example: 0 }),
  threshold_unit: thresholdUnit,
  description: z.string(),
  webhook_url: z.string().nullable().openapi({ description: 'Whole for admin keys; scheme and host only for read keys (webhook URLs carry secrets)' }),
  webhook_format: z.enum(WEBHOOK_FORMATS).optional().openapi({ description: `Present when webhook_url is set. ${WEBHOOK_FORMAT_HELP}` }),
  updated_at: z.string(),
}).openapi('AlertRule')
export const ruleSchema = ruleSchemaWith(ruleTypeName, z.string())

const subjectSchema = z.object({ type: z.enum(['gpu', 'node', 'tenant']), id: z.number().int(), name: z.string().nullable() })

export const eventSchemaWith = <T extends z.ZodType<string>> (ruleType: T) => z.object({
  id: z.number().int(),
  rule_id: z.number().int(),
  rule_type: ruleType,
  status: z.enum(['active', 'resolved']),
  subject: subjectSchema,
  tenant_id: z.number().int().nullable(),
  message: z.string(),
  fired_at: z.string(),
  resolved_at: z.string().nullable(),
  silenced_until: z.string().nullable().openapi({ description: 'Until then no webhook is sent for this rule and subject (POST /api/alerts/events/{id}/silence); a re-fire inherits it' }),
}).openapi('AlertEvent')
export const eventSchema = eventSchemaWith(ruleTypeName)
