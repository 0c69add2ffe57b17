/**
 * What a rule's webhook speaks: `gpufleet` (gpufleet's own JSON, the default), `alertmanager`
 * (Alertmanager's webhook_config payload, version 4, for receivers written for Alertmanager),
 * `alertmanager-api` (a postable-alerts array for an Alertmanager's POST /api/v2/alerts).
 * The store keeps the name as given; control-plane/alerts renders each.
 */
import { WEBHOOK_FORMATS } from '../../shared/wire/alerts-schemas.ts'

export { WEBHOOK_FORMATS }
export type WebhookFormat = typeof WEBHOOK_FORMATS[number]
export const DEFAULT_WEBHOOK_FORMAT: WebhookFormat = 'gpufleet'
