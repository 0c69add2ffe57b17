import { createKeepAliveAgent, describeRequestError, httpRequest } from '../http-request.ts'
import { classifyStatus } from './classify-status.ts'
import type { StatusClass } from './classify-status.ts'

export interface UpstreamOptions {
  /** `--control-plane`, e.g. http://10.0.0.5:8080 (a path prefix is kept). */
  baseUrl: string
  apiKey?: string
  userAgent: string
  /** Bound on one request, connect to last body byte. */
  timeoutMs?: number
  /** PEM CA bundle trusted for an https:// control plane (--control-plane-ca). */
  ca?: Buffer | undefined
}

/** A request's fate: `kind` 'retry' with status null is a network error, timeout or abort. */
export interface UpstreamResult {
  kind: StatusClass
  status: number | null
  /** Parsed JSON body of a 2xx when asked for, else undefined. */
  body?: unknown
  /** Short, key-free description for logs and stats.lastError. */
  error?: string
}

export interface Upstream {
  postJson: (path: string, payload: unknown, options?: { timeoutMs?: number, signal?: AbortSignal, readBody?: boolean }) => Promise<UpstreamResult>
  close: () => Promise<void>
}

/**
 * The agent's one client to the control plane: a keep-alive pool so a 1 Hz push reuses one
 * connection instead of a TCP (and TLS) handshake per second. Requests are never retried
 * here: POST retry policy belongs to the uplink, which knows about the spool.
 */
export function createUpstream ({ baseUrl, apiKey, userAgent, timeoutMs = 5000, ca }: UpstreamOptions): Upstream {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
  // Idle longer than the 1 s push interval, so the connection is still there for the next tick.
  const agent = createKeepAliveAgent(base, { maxSockets: 4, idleMs: 10_000, ca })
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': userAgent }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`

  return {
    async postJson (path, payload, options = {}) {
      const limit = options.timeoutMs ?? timeoutMs
      const url = new URL(path.replace(/^\//, ''), base)
      try {
        const res = await httpRequest(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
          agent,
          timeoutMs: limit,
          ...(options.signal ? { signal: options.signal } : {}),
        })
        const kind = classifyStatus(res.status)
        if (kind === 'ok' && options.readBody) {
          return { kind, status: res.status, body: JSON.parse(res.text) as unknown }
        }
        return kind === 'ok'
          ? { kind, status: res.status }
          : { kind, status: res.status, error: `HTTP ${res.status}${summary(res.text)}` }
      } catch (err) {
        return { kind: 'retry', status: null, error: describe(err) }
      }
    },
    async close () {
      // Callers settle their own requests first; what's left are idle keep-alive sockets.
      agent.destroy()
    },
  }
}

function summary (text: string): string {
  const t = text.trim().replace(/\s+/g, ' ')
  return t === '' ? '' : `: ${t.slice(0, 200)}`
}

function describe (err: unknown): string {
  // A 2xx whose body is not JSON is the control plane's fault, not the network's.
  return err instanceof SyntaxError ? `bad JSON reply: ${err.message}` : describeRequestError(err)
}
