/**
 * What an HTTP status from the control plane means for the rows we sent.
 * - ok: acknowledged (only a 2xx is).
 * - retry: the rows are fine, upstream is not (5xx, 408, 429, or a redirect we don't follow
 *   because it means a wrong --control-plane URL): keep them in the spool.
 * - auth: 401/403, an operator's key mistake: keep them too, so they backfill once it's fixed.
 * - reject: any other 4xx (400, 413, 422): sending them again can't help; count and drop.
 */
export type StatusClass = 'ok' | 'retry' | 'auth' | 'reject'

export function classifyStatus (status: number): StatusClass {
  if (status >= 200 && status < 300) return 'ok'
  if (status === 401 || status === 403) return 'auth'
  if (status === 408 || status === 429) return 'retry'
  if (status >= 400 && status < 500) return 'reject'
  return 'retry'
}
