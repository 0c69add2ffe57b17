import { Agent, request, type Dispatcher } from 'undici'
import { ADDRESS_FORBIDDEN, createGuardedLookup, type ResolveAll } from './create-guarded-lookup.ts'
import { forbiddenAddress } from './forbidden-address.ts'

export interface WebhookResponse {
  ok: boolean
  /** HTTP status; null when no response came (refused, reset, timed out). */
  status: number | null
  /** A stable code (undici's, e.g. UND_ERR_CONNECT_TIMEOUT) or message when no response came. */
  error: string | null
  /** Sending it again cannot help (the target is a forbidden address): no retries. */
  final?: boolean
}

export type PostWebhook = (url: string, body: string, headers: Record<string, string>) => Promise<WebhookResponse>

export interface PostWebhookOptions {
  timeoutMs: number
  /**
   * `--alert-webhook-allow-private`: also send to loopback, private and link-local addresses
   * (a receiver on the same host or VPC). Off: those are refused after resolution.
   */
  allowPrivate?: boolean | undefined
  /** The resolver the guard judges (tests point a name at 127.0.0.1); default dns.lookup. */
  resolve?: ResolveAll | undefined
}

/**
 * POSTs one JSON body with undici; never throws. 2xx is success. Redirects are not followed
 * (a receiver that moved should be re-configured, not chased, and a redirect must not lead to
 * an address the guard refuses), and each request gets its own connection so a dead receiver
 * leaves no pooled sockets behind. Unless allowPrivate, an IP-literal host is judged before
 * the request and a name after DNS resolution, inside the connect (create-guarded-lookup.ts).
 */
export function createPostWebhook (opts: PostWebhookOptions): PostWebhook {
  const { timeoutMs } = opts
  const guarded = opts.allowPrivate !== true
  const dispatcher: Dispatcher | undefined = guarded || opts.resolve !== undefined
    ? new Agent({ connect: { lookup: createGuardedLookup(opts.resolve, { allowPrivate: !guarded }) } })
    : undefined
  return async (url, body, headers) => {
    if (guarded) {
      const why = literalProblem(url)
      if (why !== null) return { ok: false, status: null, error: `${ADDRESS_FORBIDDEN}: ${why}`, final: true }
    }
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'user-agent': 'gpufleet-alerts', ...headers },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        reset: true,
        ...(dispatcher === undefined ? {} : { dispatcher }),
      })
      await res.body.dump()
      const ok = res.statusCode >= 200 && res.statusCode < 300
      return { ok, status: res.statusCode, error: ok ? null : `HTTP ${res.statusCode}` }
    } catch (err) {
      const e = err as { code?: unknown, name?: unknown, message?: unknown }
      if (e.code === ADDRESS_FORBIDDEN) return { ok: false, status: null, error: `${ADDRESS_FORBIDDEN}: ${String(e.message)}`, final: true }
      const error = typeof e.code === 'string' ? e.code : e.name === 'TimeoutError' ? 'TIMEOUT' : String(e.message ?? err)
      return { ok: false, status: null, error }
    }
  }
}

/** An IP-literal host is never looked up (net.connect dials it as is), so it is judged here. */
function literalProblem (url: string): string | null {
  let host: string
  try { host = new URL(url).hostname } catch { return null }
  const why = forbiddenAddress(host)
  return why === null ? null : `${host} is a ${why} address`
}
