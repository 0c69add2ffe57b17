import type { AlertEvent } from '../store/alert-repository.ts'
import type { Store } from '../store/store.ts'
import { createSlotLoop } from '../../shared/create-slot-loop.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { AlertsLogger } from './alerts-logger.ts'
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookOptions } from './create-webhook-dispatcher.ts'
import type { AlertRuleKind } from './rules/alert-rule-kind.ts'
import { ALERT_RULES, alertRuleLookup, ruleRowDefaults } from './rules/alert-rules.ts'

export interface AlertsLoopOptions {
  store: Pick<Store, 'alerts' | 'dashboard' | 'fleet' | 'processes'>
  now: () => number
  log: AlertsLogger
  timers?: Timers | undefined
  /** Seed 003: rules are evaluated every 30 s. */
  everyMs?: number | undefined
  /** Webhook delivery tuning (retries, backoff, the POST itself); false sends nothing (deliveries stay queued). */
  webhook?: WebhookOptions | false | undefined
  /** The rule types judged, and whose missing rows start() inserts (tests pass their own list). */
  rules?: readonly AlertRuleKind[] | undefined
}

export interface AlertsPass {
  fired: AlertEvent[]
  resolved: AlertEvent[]
}

export interface AlertsLoop {
  /**
   * Starts evaluating on the next slot and starts webhook delivery (resuming what a restart left
   * pending); resolves once every registered type has its row (a failure is logged and retried
   * by the first pass).
   */
  start: () => Promise<void>
  /** Cancels the next pass, waits for a running one, then stops webhook delivery. */
  stop: () => Promise<void>
  /** One pass over every rule (what the timer runs); hands new deliveries to the webhook sender without waiting for it. */
  evaluate: () => Promise<AlertsPass>
  webhooks: WebhookDispatcher | null
}

/**
 * The alert rules, judged every `everyMs` (aligned to wall-clock slots; a slow pass skips the
 * slots it overran). Each rule is judged and applied on its own: one failing rule is logged
 * and the others still run. Events fire once per (rule, subject) and resolve when the
 * condition clears; that bookkeeping is the store's, in one transaction per rule, so a restart
 * neither re-fires open events nor forgets them. Runs on one replica only (the leader), which
 * also inserts the row of a registered type the database lacks, once, before its first pass.
 */
export function createAlertsLoop (opts: AlertsLoopOptions): AlertsLoop {
  const { store, now, log, timers = realTimers, everyMs = 30_000, rules = ALERT_RULES } = opts
  if (store?.alerts === undefined || store.dashboard === undefined || store.fleet === undefined) {
    throw new TypeError('createAlertsLoop: store with alerts, dashboard and fleet is required')
  }
  if (!Number.isFinite(everyMs) || everyMs <= 0) throw new TypeError(`createAlertsLoop: everyMs must be > 0, got ${everyMs}`)
  const webhooks = opts.webhook === false ? null : createWebhookDispatcher({ store, now, log, timers, ...opts.webhook })
  const kindOf = alertRuleLookup(rules)

  let ensured: Promise<void> | null = null
  const ensureRows = (): Promise<void> => {
    ensured ??= store.alerts.ensureRules(ruleRowDefaults(rules)).then(
      added => { if (added.length > 0) log.info({ ruleTypes: added }, 'alert rules added') },
      err => { ensured = null; throw err })
    return ensured
  }

  const evaluate = async (): Promise<AlertsPass> => {
    await ensureRows()
    const at = now()
    const out: AlertsPass = { fired: [], resolved: [] }
    for (const rule of await store.alerts.listRules()) {
      try {
        const findings = rule.enabled ? await kindOf(rule.ruleType).evaluate(store, rule.threshold, at) : { breaches: [], unknown: [] }
        const r = await store.alerts.applyEvaluation({ ruleId: rule.id, at, threshold: rule.threshold, ...findings })
        for (const e of r.fired) log.warn({ eventId: e.id, ruleType: e.ruleType, subject: e.subject }, `alert fired: ${e.message}`)
        for (const e of r.resolved) log.info({ eventId: e.id, ruleType: e.ruleType, subject: e.subject }, 'alert resolved')
        out.fired.push(...r.fired)
        out.resolved.push(...r.resolved)
      } catch (err) {
        log.warn({ err: String(err), ruleId: rule.id, ruleType: rule.ruleType }, 'alert rule evaluation failed')
      }
    }
    // Also picks up deliveries queued outside a pass (a PATCH that disabled a rule).
    webhooks?.kick()
    return out
  }

  const loop = createSlotLoop({
    everyMs,
    now,
    timers,
    pass: evaluate,
    onError: err => log.warn({ err: String(err) }, 'alerts pass failed'),
  })

  return {
    async start () {
      webhooks?.start()
      loop.start()
      await ensureRows().catch(err => { log.warn({ err: String(err) }, 'alert rules not ensured (retried by the next pass)') })
    },
    async stop () {
      await loop.stop()
      await webhooks?.stop()
    },
    evaluate,
    webhooks,
  }
}
