/**
 * What an HTTP answer to a push means for the rows we sent.
 * - ok: acknowledged (only a 2xx is; the uplink still checks its body is an ingest ack).
 * - retry: the rows are fine, the path to the control plane is not (5xx, 408, 429, a redirect
 *   we don't follow because it means a wrong --control-plane URL, a proxy's 404 or 413, an
 *   HTML error page): keep them in the spool and send them again.
 * - auth: 401/403, an operator's key mistake: keep them too, so they backfill once it's fixed.
 * - reject: the control plane's own validation error (400/422 with its JSON error body and a
 *   stable code): sending them again can't help; count and drop.
 */
export type StatusClass = 'ok' | 'retry' | 'auth' | 'reject'

/** The class by status alone; `classifyAnswer` also looks at the body. */
export function classifyStatus (status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok'
  if (status === 401 || status === 403) return 'auth'
  if (status === 400 || status === 422) return 'reject'
  return 'retry'
}

/**
 * A 400/422 drops rows only when the control plane itself said so: its error body is JSON
 * with a string `code` (shared/http-error.ts). The same status from a proxy or a load
 * balancer in between (an HTML page, plain text) says nothing about our rows: retry.
 */
export function classifyAnswer (status: number, text: string): StatusClass {
  const kind = classifyStatus(status)
  if (kind !== 'reject') return kind
  return isControlPlaneError(text) ? 'reject' : 'retry'
}

function isControlPlaneError (text: string): boolean {
  try {
    const body = JSON.parse(text) as unknown
    return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string'
  } catch {
    return false
  }
}
