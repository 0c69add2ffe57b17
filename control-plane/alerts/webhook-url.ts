import { forbiddenAddress } from './forbidden-address.ts'
import { WEBHOOK_URL_MAX } from '../../shared/wire/alerts-schemas.ts'

/**
 * Why `value` is not a usable webhook URL, or null when it is: absolute http(s) with a host,
 * no embedded credentials (put secrets in the path or query, as Slack and PagerDuty do).
 */
export function webhookUrlProblem (value: string): string | null {
  if (value.length > WEBHOOK_URL_MAX) return `webhook_url must be at most ${WEBHOOK_URL_MAX} characters`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'webhook_url must be an absolute http(s) URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'webhook_url must use http or https'
  if (url.hostname === '') return 'webhook_url must name a host'
  if (url.username !== '' || url.password !== '') return 'webhook_url must not embed credentials'
  return null
}

// Names that mean this host or the cloud's metadata service wherever they resolve
// (RFC 6761 localhost, ICANN's private-use .internal, GCE's metadata names, AWS's instance-data).
const FORBIDDEN_NAMES = ['localhost', 'metadata', 'metadata.goog', 'instance-data']
const FORBIDDEN_SUFFIXES = ['.localhost', '.internal', '.metadata.goog']

/**
 * Why the host of a valid webhook URL (webhookUrlProblem passed) may not be a webhook target,
 * or null: an IP literal in a loopback, private, link-local or other reserved range, or a name
 * that always means one (localhost, metadata.google.internal). Hostnames are judged again
 * after DNS resolution at delivery, where the answer is known (post-webhook.ts).
 */
export function webhookTargetProblem (value: string): string | null {
  const host = new URL(value).hostname.toLowerCase().replace(/\.$/, '')
  const why = forbiddenAddress(host)
  if (why !== null) return `webhook_url points at a ${why} address; alert webhooks go to public addresses unless the control plane runs with --alert-webhook-allow-private`
  if (FORBIDDEN_NAMES.includes(host) || FORBIDDEN_SUFFIXES.some(s => host.endsWith(s))) {
    return `webhook_url names ${host}, which is this host or a cloud metadata service; alert webhooks go to public addresses unless the control plane runs with --alert-webhook-allow-private`
  }
  return null
}

/**
 * The URL without path and query, for logs and read-only viewers: webhook URLs commonly carry
 * their secret there (Slack, Teams), so only admins see them whole.
 */
export function redactWebhookUrl (value: string): string {
  try {
    const url = new URL(value)
    return url.pathname === '/' && url.search === '' ? url.origin : `${url.origin}/…`
  } catch {
    return '…'
  }
}
