import type { WebhookFormat } from '../store/webhook-format.ts'

/**
 * A webhook_format the rule cannot use with `url` (the URL it will have after the patch): a
 * format without a webhook, or alertmanager-api aimed anywhere but an Alertmanager's alerts
 * endpoint (POSTing postable alerts elsewhere would only ever be refused). null when fine.
 */
export function webhookFormatProblem (format: WebhookFormat | undefined, url: string | null): { path: string, message: string } | null {
  if (format === undefined) return null
  if (url === null) return { path: 'webhook_format', message: 'a webhook format needs a webhook_url (give both)' }
  if (format === 'alertmanager-api' && !/\/api\/v2\/alerts\/?$/.test(safePath(url))) {
    return { path: 'webhook_url', message: 'with webhook_format alertmanager-api, point webhook_url at the Alertmanager\'s /api/v2/alerts (e.g. http://alertmanager:9093/api/v2/alerts)' }
  }
  return null
}

function safePath (url: string): string {
  try { return new URL(url).pathname } catch { return '' }
}
