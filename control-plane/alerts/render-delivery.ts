import type { DueDelivery } from '../store/alert-repository.ts'
import { alertmanagerApiAlerts, alertmanagerWebhook } from './alertmanager-payloads.ts'
import { webhookPayload } from './webhook-payload.ts'

/** The body a delivery is POSTed with, in the format its rule's webhook had when it was queued (`validMs`: a firing Alertmanager alert's endsAt past `sentAt`). */
export function renderDelivery (d: DueDelivery, sentAt: number, validMs?: number): unknown {
  switch (d.format) {
    case 'alertmanager': return alertmanagerWebhook(d)
    case 'alertmanager-api': return alertmanagerApiAlerts(d, sentAt, validMs)
    default: return webhookPayload(d)
  }
}
