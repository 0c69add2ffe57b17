import type { AlertToResend, DueDelivery } from '../store/alert-repository.ts'

/**
 * The two Alertmanager shapes a rule's webhook may speak (control-plane/store/webhook-format.ts),
 * following Alertmanager's documentation: `alertmanagerWebhook` is webhook_config's payload
 * (version 4), for receivers written for Alertmanager; `alertmanagerApiAlerts` is the body of
 * POST /api/v2/alerts (postable alerts), so an Alertmanager routes gpufleet's alerts itself.
 * One gpufleet event is one alert, identified by its labels (rule and subject).
 */

/**
 * Open alerts are posted again this often (Alertmanager expires an alert at its endsAt; its
 * clients must keep re-sending what still fires: Prometheus' --rules.alert.resend-delay, 1 m).
 */
export const ALERTMANAGER_RESEND_MS = 60_000

/**
 * A firing alert's endsAt is this far past its post (Prometheus: 4 × the resend delay), so
 * three lost re-posts in a row do not resolve it, and an alert nobody re-posts (gpufleet stopped,
 * the rule's webhook moved) resolves in Alertmanager within minutes, not a day.
 */
export const FIRING_VALID_MS = 4 * ALERTMANAGER_RESEND_MS

/** Go's zero time: how Alertmanager's webhook writes the endsAt of an alert still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z'

const iso = (ms: number): string => new Date(ms).toISOString()

interface AlertParts {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  /** null while firing. */
  endsAt: string | null
}

/** `idle_gpu` → `GpufleetIdleGpu` (Prometheus' alert naming). */
export function alertName (ruleType: string): string {
  return `Gpufleet${ruleType.split(/[^A-Za-z0-9]+/).map(w => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`
}

/** What an alert is rendered from: a queued delivery, or an open event posted again (as "fired"). */
type AlertSource = Pick<DueDelivery, 'kind' | 'event' | 'threshold'>

function parts (d: AlertSource): AlertParts {
  const e = d.event
  const labels: Record<string, string> = {
    alertname: alertName(e.ruleType),
    rule_type: e.ruleType,
    subject_type: e.subject.type,
    subject_id: String(e.subject.id),
    subject: e.subject.name ?? `${e.subject.type}-${e.subject.id}`,
    source: 'gpufleet',
  }
  if (e.tenantId !== null) labels.tenant_id = String(e.tenantId)
  // A "fired" notice describes the firing, even when it is (re)sent after the event cleared.
  const resolved = d.kind === 'resolved' && e.resolvedAt !== null
  return {
    status: resolved ? 'resolved' : 'firing',
    labels,
    annotations: { summary: e.message, threshold: String(d.threshold), event_id: String(e.id), rule_id: String(e.ruleId) },
    startsAt: iso(e.firedAt),
    endsAt: resolved ? iso(e.resolvedAt!) : null,
  }
}

/** webhook_config's JSON (version 4): one group holding this event's alert. */
export function alertmanagerWebhook (d: DueDelivery) {
  const a = parts(d)
  return {
    version: '4',
    groupKey: `{}:{alertname=${JSON.stringify(a.labels.alertname)}}`,
    truncatedAlerts: 0,
    status: a.status,
    receiver: 'gpufleet',
    groupLabels: { alertname: a.labels.alertname },
    commonLabels: a.labels,
    commonAnnotations: a.annotations,
    externalURL: '',
    alerts: [{
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? ZERO_TIME,
      generatorURL: '',
      fingerprint: labelsFingerprint(a.labels),
    }],
  }
}

/**
 * POST /api/v2/alerts' body. Alertmanager resolves an alert nobody re-posts after its endsAt,
 * so a firing one says `validMs` (FIRING_VALID_MS) from `sentAt` and is re-posted before then
 * (resendAlertmanagerAlerts); the resolved post ends it at its time.
 */
export function alertmanagerApiAlerts (d: AlertSource, sentAt: number, validMs = FIRING_VALID_MS) {
  return [postableAlert(d, sentAt, validMs)]
}

/** The same alerts again, for open events: one body for many (the API takes an array). */
export function alertmanagerApiResend (open: readonly AlertToResend[], sentAt: number, validMs = FIRING_VALID_MS) {
  return open.map(o => postableAlert({ kind: 'fired', event: o.event, threshold: o.threshold }, sentAt, validMs))
}

function postableAlert (d: AlertSource, sentAt: number, validMs: number) {
  const a = parts(d)
  return { labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt ?? iso(sentAt + validMs) }
}

const FNV_OFFSET = 14695981039346656037n
const FNV_PRIME = 1099511628211n
const MASK = (1n << 64n) - 1n

/**
 * Prometheus' label-set fingerprint (model.LabelSet.Fingerprint: FNV-1a 64 over the sorted
 * names and values, each followed by the 0xff separator), as Alertmanager writes it: 16 hex digits.
 */
export function labelsFingerprint (labels: Record<string, string>): string {
  let h = FNV_OFFSET
  const add = (bytes: Uint8Array): void => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK
  }
  const sep = new Uint8Array([0xff])
  const utf8 = new TextEncoder()
  for (const name of Object.keys(labels).sort()) {
    add(utf8.encode(name)); add(sep)
    add(utf8.encode(labels[name]!)); add(sep)
  }
  return h.toString(16).padStart(16, '0')
}
