import { request } from 'undici'

export interface WebhookResponse {
  ok: boolean
  /** HTTP status; null when no response came (refused, reset, timed out). */
  status: number | null
  /** A stable code (undici's, e.g. UND_ERR_CONNECT_TIMEOUT) or message when no response came. */
  error: string | null
}

export type PostWebhook = (url: string, body: string, headers: Record<string, string>) => Promise<WebhookResponse>

/**
 * POSTs one JSON body with undici; never throws. 2xx is success. Redirects are not followed
 * (a receiver that moved should be re-configured, not chased), and each request gets its own
 * connection so a dead receiver leaves no pooled sockets behind.
 */
export function createPostWebhook (opts: { timeoutMs: number }): PostWebhook {
  const { timeoutMs } = opts
  return async (url, body, headers) => {
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'user-agent': 'gpufleet-alerts', ...headers },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        reset: true,
      })
      await res.body.dump()
      const ok = res.statusCode >= 200 && res.statusCode < 300
      return { ok, status: res.statusCode, error: ok ? null : `HTTP ${res.statusCode}` }
    } catch (err) {
      const e = err as { code?: unknown, name?: unknown, message?: unknown }
      const error = typeof e.code === 'string' ? e.code : e.name === 'TimeoutError' ? 'TIMEOUT' : String(e.message ?? err)
      return { ok: false, status: null, error }
    }
  }
}
