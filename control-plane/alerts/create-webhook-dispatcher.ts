import type { AlertRepository, DueDelivery } from '../store/alert-repository.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { AlertsLogger } from './alerts-logger.ts'
import { backoffDelay } from '../../shared/backoff-delay.ts'
import { createPostWebhook, type PostWebhook } from './post-webhook.ts'
import { renderDelivery } from './render-delivery.ts'
import { redactWebhookUrl } from './webhook-url.ts'
import { ALERTMANAGER_RESEND_MS } from './alertmanager-payloads.ts'
import { resendAlertmanagerAlerts } from './resend-alertmanager-alerts.ts'

export interface WebhookOptions {
  /** The HTTP POST (default: undici). */
  post?: PostWebhook | undefined
  /** Attempts per delivery before it is marked failed (default 10: about 8.5 min of retrying). */
  maxAttempts?: number | undefined
  /** First retry delay, doubled per attempt (default 1 s). */
  baseDelayMs?: number | undefined
  /** Longest delay between attempts (default 5 min). */
  maxDelayMs?: number | undefined
  /** Per POST (default 10 s). */
  timeoutMs?: number | undefined
  /** `--alert-webhook-allow-private`: the default POST may reach loopback/private/link-local addresses. */
  allowPrivateAddresses?: boolean | undefined
  /** Deliveries read per store query (default 50). */
  batchSize?: number | undefined
  /**
   * How often open alerts are posted again to rules whose webhook is an Alertmanager's API
   * (default ALERTMANAGER_RESEND_MS, 1 min); their endsAt is 4 × this past each post.
   */
  alertmanagerResendMs?: number | undefined
}

export interface WebhookDispatcherDeps extends WebhookOptions {
  store: { alerts: AlertRepository }
  now: () => number
  log: AlertsLogger
  timers?: Timers | undefined
}

export interface WebhookDispatcher {
  /** Starts sending: at once (pending deliveries of an earlier run resume), then as they fall due. */
  start: () => void
  /** No new attempts; waits for the ones in flight. */
  stop: () => Promise<void>
  /** Send what is due now (the alerts loop calls this after each evaluation); never waits. */
  kick: () => void
  /** Resolves once no pass is running (tests: after a kick or an advanced timer). */
  settled: () => Promise<void>
}

const positive = (name: string, v: number): number => {
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`createWebhookDispatcher: ${name} must be > 0, got ${v}`)
  return v
}

/**
 * Sends the durable delivery rows the alert repository queues for each fired and resolved
 * event. A failed POST (no answer, 5xx, 408, 429) is retried with exponential backoff
 * (1 s, 2 s, 4 s, … capped) up to maxAttempts; any other 4xx is final (the receiver rejected
 * the payload; sending it again changes nothing). Receivers are sent to in parallel, each
 * receiver's deliveries one after another, so a slow receiver delays only itself and the
 * evaluation loop never waits on any. Open alerts of rules that post to an Alertmanager's API
 * are posted again every alertmanagerResendMs. One timer: the next due delivery or re-post.
 */
export function createWebhookDispatcher (deps: WebhookDispatcherDeps): WebhookDispatcher {
  const { store, now, log, timers = realTimers } = deps
  const maxAttempts = positive('maxAttempts', deps.maxAttempts ?? 10)
  const baseDelayMs = positive('baseDelayMs', deps.baseDelayMs ?? 1000)
  const maxDelayMs = positive('maxDelayMs', deps.maxDelayMs ?? 5 * 60_000)
  const batchSize = positive('batchSize', deps.batchSize ?? 50)
  const post = deps.post ?? createPostWebhook({ timeoutMs: positive('timeoutMs', deps.timeoutMs ?? 10_000), allowPrivate: deps.allowPrivateAddresses })
  const resendMs = positive('alertmanagerResendMs', deps.alertmanagerResendMs ?? ALERTMANAGER_RESEND_MS)
  const validMs = 4 * resendMs

  let running = false
  let handle: unknown = null
  let inFlight: Promise<void> | null = null
  let again = false
  /** When open alerts are next posted again to Alertmanagers (start(): at once, as after a restart they may have expired). */
  let resendAt = 0

  const attempt = async (d: DueDelivery): Promise<void> => {
    const res = await post(d.url, JSON.stringify(renderDelivery(d, now(), validMs)), {
      'x-gpufleet-event': d.kind, 'x-gpufleet-delivery': String(d.id),
    })
    const at = now()
    const attempts = d.attempts + 1
    const where = { deliveryId: d.id, eventId: d.eventId, kind: d.kind, url: redactWebhookUrl(d.url), attempts }
    if (res.ok) {
      await store.alerts.recordDeliveryAttempt(d.id, { ok: true, at })
      log.info({ ...where, status: res.status }, 'alert webhook delivered')
      return
    }
    const status = res.status
    const final = res.final === true || (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429)
    const retryAt = final || attempts >= maxAttempts ? null : at + backoffDelay(attempts, { initialMs: baseDelayMs, maxMs: maxDelayMs })
    const error = res.error ?? `HTTP ${status}`
    await store.alerts.recordDeliveryAttempt(d.id, { ok: false, at, error, retryAt })
    log.warn({ ...where, status, error, retryAt }, retryAt === null ? 'alert webhook failed; giving up' : 'alert webhook failed; will retry')
  }

  /**
   * Everything due now, then the Alertmanager re-posts when their time has come (in the same
   * pass, so a "resolved" queued meanwhile goes out after, never before, a re-post of its alert);
   * returns when the next delivery or re-post falls due.
   */
  const pass = async (): Promise<number> => {
    for (;;) {
      const due = await store.alerts.dueDeliveries(now(), batchSize)
      const byUrl = new Map<string, DueDelivery[]>()
      for (const d of due) byUrl.set(d.url, [...(byUrl.get(d.url) ?? []), d])
      await Promise.all([...byUrl.values()].map(async list => { for (const d of list) await attempt(d) }))
      if (due.length < batchSize || !running) break
    }
    if (running && now() >= resendAt) {
      resendAt = now() + resendMs
      await resendAlertmanagerAlerts({ alerts: store.alerts, post, now, log, validMs })
    }
    const next = await store.alerts.nextDeliveryAt()
    return next === null ? resendAt : Math.min(next, resendAt)
  }

  const run = (): void => {
    if (!running) return
    if (inFlight !== null) {
      again = true
      return
    }
    if (handle !== null) timers.clearTimeout(handle)
    handle = null
    again = false
    inFlight = pass().catch((err: unknown) => {
      // The store failed us: try again after a pause rather than spin (the loop also kicks every tick).
      log.warn({ err: String(err) }, 'alert webhook pass failed')
      return now() + baseDelayMs
    }).then(next => {
      inFlight = null
      if (!running) return
      if (again) return run()
      handle = timers.setTimeout(run, Math.max(0, next - now()))
    })
  }

  return {
    start () {
      if (running) return
      running = true
      resendAt = now()
      run()
    },
    async stop () {
      running = false
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
      while (inFlight !== null) await inFlight
    },
    kick: run,
    async settled () {
      while (inFlight !== null) await inFlight
    },
  }
}
