/** Longest webhook URL a rule may name. */
export const WEBHOOK_URL_MAX = 2048

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
