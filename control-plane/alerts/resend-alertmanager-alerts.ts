import type { AlertRepository, AlertToResend } from '../store/alert-repository.ts'
import type { AlertsLogger } from './alerts-logger.ts'
import { alertmanagerApiResend } from './alertmanager-payloads.ts'
import type { PostWebhook } from './post-webhook.ts'
import { redactWebhookUrl } from './webhook-url.ts'

/** Alerts per POST: Alertmanager takes any array; this keeps one body well under its limits. */
const PER_POST = 100

export interface ResendDeps {
  alerts: Pick<AlertRepository, 'openAlertsToResend'>
  post: PostWebhook
  now: () => number
  log: AlertsLogger
  /** A firing alert's endsAt past the post (FIRING_VALID_MS). */
  validMs: number
}

/**
 * Posts every open alert of the rules whose webhook is an Alertmanager's API again, each with a
 * fresh endsAt, one POST per receiver (and 100 alerts). A failed post is logged, not retried
 * (nor are that receiver's further chunks):
 * the next round comes long before the endsAt it left runs out. Events with a delivery still
 * pending are left to it, so a "resolved" never has a re-post behind it. Returns alerts posted.
 */
export async function resendAlertmanagerAlerts (deps: ResendDeps): Promise<number> {
  const { alerts, post, now, log, validMs } = deps
  const open = await alerts.openAlertsToResend('alertmanager-api', now())
  const byUrl = new Map<string, AlertToResend[]>()
  for (const o of open) byUrl.set(o.url, [...(byUrl.get(o.url) ?? []), o])
  let sent = 0
  await Promise.all([...byUrl].map(async ([url, list]) => {
    for (let i = 0; i < list.length; i += PER_POST) {
      const chunk = list.slice(i, i + PER_POST)
      const res = await post(url, JSON.stringify(alertmanagerApiResend(chunk, now(), validMs)), { 'x-gpufleet-event': 'resend' })
      if (res.ok) {
        sent += chunk.length
        continue
      }
      log.warn({ url: redactWebhookUrl(url), alerts: list.length - i, status: res.status, error: res.error ?? `HTTP ${res.status}` }, 'alertmanager re-post failed; the next round retries')
      break // the rest would most likely wait on the same dead receiver
    }
  }))
  return sent
}
