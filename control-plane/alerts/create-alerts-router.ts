import { createRoute, z } from '@hono/zod-openapi'
import type { Store } from '../store/store.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { createRouter } from '../http/create-router.ts'
import { errorResponses } from '../http/error-responses.ts'
import { hasScope } from '../auth/principal.ts'
import { requireUntenanted } from '../dashboards/require-untenanted.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { AlertsLogger } from './alerts-logger.ts'
import { thresholdProblem } from './rules/alert-rules.ts'
import { eventJson, ruleJson } from './render-alerts.ts'
import { eventsQuerySchema, ruleIdParamSchema, silenceBodySchema } from '../../shared/wire/alerts-schemas.ts'
import { MAX_SILENCE_MINUTES } from '../../shared/wire/alert-silence.ts'
import { eventRouteSchema as eventSchema, rulePatchRouteSchema as rulePatchSchema, ruleRouteSchema as ruleSchema } from './alert-route-schemas.ts'
import { redactWebhookUrl, webhookTargetProblem, webhookUrlProblem } from './webhook-url.ts'
import { webhookFormatProblem } from './webhook-format-problem.ts'

export interface AlertsRouterDeps {
  store: Pick<Store, 'alerts'>
  requireScope: RequireScope
  now: () => number
  log: AlertsLogger
  /** `--alert-webhook-allow-private`: accept webhook URLs on loopback, private and link-local addresses. */
  allowPrivateWebhooks?: boolean | undefined
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
const DEFAULT_EVENT_LIMIT = 50

const invalid = (path: string, message: string): HttpError =>
  httpError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] })

/**
 * Seed 003 "Alerts": the built-in rules (read; edit: admin) and their events (read).
 * Tenant-bound keys: rule configuration is fleet-wide (403); events are narrowed to those
 * concerning the caller's tenant (its quota, GPUs its jobs held), fleet health ones excluded.
 */
export function createAlertsRouter (deps: AlertsRouterDeps) {
  const { store, requireScope, now, log } = deps
  if (store?.alerts === undefined) throw new TypeError('createAlertsRouter: store.alerts is required')
  const app = createRouter()

  app.openapi(createRoute({
    method: 'get', path: '/api/alerts/rules', tags: ['alerts'], security: API_KEY_SECURITY,
    middleware: [requireScope('read'), requireUntenanted('alert rule configuration')] as const,
    description: 'List the alert rules with the count of active (unresolved) events per rule. webhook_url is shown whole to ' +
      'admin keys only. 403 for tenant-bound keys.',
    responses: { 200: json(z.array(ruleSchema), 'Rules by id'), ...errorResponses(401, 403) },
  }), async c => {
    const showWebhook = hasScope(c.get('principal'), 'admin')
    return c.json((await store.alerts.listRules()).map(r => ruleJson(r, { showWebhook })), 200)
  })

  app.openapi(createRoute({
    method: 'patch', path: '/api/alerts/rules/{id}', tags: ['alerts'], security: API_KEY_SECURITY,
    middleware: [requireScope('admin'), requireUntenanted('alert rule configuration')] as const,
    description: 'Enable or disable a rule, change its threshold (range per rule type) or webhook URL. A webhook URL whose ' +
      'host is a loopback, private, link-local or metadata address (or localhost, *.internal) is refused with 400 ' +
      'WEBHOOK_ADDRESS_FORBIDDEN unless the control plane runs with --alert-webhook-allow-private. Disabling resolves ' +
      'the rule\'s active events at once (their webhook hears it); a threshold change takes effect on the next 30 s pass. ' +
      'webhook_format picks what the webhook speaks (gpufleet, alertmanager, alertmanager-api); it needs a webhook_url, ' +
      'and alertmanager-api one ending in /api/v2/alerts (400 VALIDATION_FAILED otherwise).',
    request: { params: ruleIdParamSchema, body: { required: true, content: { 'application/json': { schema: rulePatchSchema } } } },
    responses: { 200: json(ruleSchema, 'The rule as changed'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const body = c.req.valid('json')
    const rule = await store.alerts.getRule(id)
    if (rule === null) throw httpError('ALERT_RULE_NOT_FOUND', `no alert rule with id ${id}`)
    if (body.threshold !== undefined) {
      const problem = thresholdProblem(rule.ruleType, body.threshold)
      if (problem !== null) throw invalid('threshold', problem)
    }
    if (typeof body.webhook_url === 'string') {
      const problem = webhookUrlProblem(body.webhook_url)
      if (problem !== null) throw invalid('webhook_url', problem)
      const target = deps.allowPrivateWebhooks === true ? null : webhookTargetProblem(body.webhook_url)
      if (target !== null) throw httpError('WEBHOOK_ADDRESS_FORBIDDEN', target, { issues: [{ path: 'webhook_url', message: target }] })
    }
    // Judged as the rule will be: a new URL keeps the stored format, a new format the stored URL.
    const format = webhookFormatProblem(
      body.webhook_format ?? (body.webhook_url === undefined || body.webhook_url === null ? undefined : rule.webhookFormat),
      body.webhook_url === undefined ? rule.webhookUrl : body.webhook_url)
    if (format !== null) throw invalid(format.path, format.message)
    const result = await store.alerts.updateRule(id, { enabled: body.enabled, threshold: body.threshold, webhookUrl: body.webhook_url, webhookFormat: body.webhook_format }, now())
    if (result === null) throw httpError('ALERT_RULE_NOT_FOUND', `no alert rule with id ${id}`)
    log.info({
      ruleId: id,
      ruleType: rule.ruleType,
      keyId: c.get('principal').keyId,
      enabled: body.enabled,
      threshold: body.threshold,
      webhookUrl: typeof body.webhook_url === 'string' ? redactWebhookUrl(body.webhook_url) : body.webhook_url,
      webhookFormat: body.webhook_format,
      resolved: result.resolved.length,
    }, 'alert rule updated')
    return c.json(ruleJson(result.rule, { showWebhook: true }), 200)
  })

  app.openapi(createRoute({
    method: 'get', path: '/api/alerts/events', tags: ['alerts'], security: API_KEY_SECURITY,
    middleware: [requireScope('read')] as const,
    description: 'Recent alert events: active (unresolved) first, newest first within each. A tenant-bound key sees the ' +
      'events concerning its tenant only.',
    request: { query: eventsQuerySchema },
    responses: { 200: json(z.array(eventSchema), 'Events'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const { limit } = c.req.valid('query')
    const tenantId = c.get('principal').tenantId ?? undefined
    const events = await store.alerts.listEvents({ limit: limit === undefined ? DEFAULT_EVENT_LIMIT : Number(limit), tenantId })
    return c.json(events.map(eventJson), 200)
  })

  app.openapi(createRoute({
    method: 'post', path: '/api/alerts/events/{id}/silence', tags: ['alerts'], security: API_KEY_SECURITY,
    middleware: [requireScope('admin'), requireUntenanted('silencing alerts')] as const,
    description: 'Silence an event for `minutes` from now or `until` a time (at most 30 days): until then no webhook is sent ' +
      'for its rule and subject, fired or resolved, and a re-fire of the subject inherits the silence. The event stays listed ' +
      '(active while the condition holds) with `silenced_until`. Sending it again replaces the silence; a time in the past ends it.',
    request: { params: ruleIdParamSchema, body: { required: true, content: { 'application/json': { schema: silenceBodySchema } } } },
    responses: { 200: json(eventSchema, 'The event as silenced'), ...errorResponses(400, 401, 403, 404) },
  }), async c => {
    const id = Number(c.req.valid('param').id)
    const body = c.req.valid('json')
    const at = now()
    let until: number
    if (body.minutes !== undefined) {
      until = at + body.minutes * 60_000
    } else {
      until = Date.parse(body.until as string)
      if (until > at + MAX_SILENCE_MINUTES * 60_000) throw invalid('until', 'must be at most 30 days ahead')
    }
    const event = await store.alerts.silenceEvent(id, until)
    if (event === null) throw httpError('ALERT_EVENT_NOT_FOUND', `no alert event with id ${id}`)
    log.info({ eventId: id, keyId: c.get('principal').keyId, until: new Date(until).toISOString() }, 'alert event silenced')
    return c.json(eventJson(event), 200)
  })

  return app
}
