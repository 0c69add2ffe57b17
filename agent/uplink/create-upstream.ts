import { createKeepAliveAgent, describeRequestError, httpRequest } from '../http-request.ts'
import { classifyAnswer } from './classify-status.ts'
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
  /**
   * readBody: a 2xx must carry JSON (else 'retry'). peekBody: parse a 2xx's JSON if it is
   * there, undefined if not: extras in an acknowledgement never turn it into a failure.
   */
  postJson: (path: string, payload: unknown, options?: { timeoutMs?: number, signal?: AbortSignal, readBody?: boolean, peekBody?: boolean }) => Promise<UpstreamResult>
  /**
   * Any request, its answer as is (status null: a network error, timeout or abort, described
   * in `error`): for callers that read error bodies themselves (the jobs' long poll, events, logs).
   */
  request: (method: 'GET' | 'POST', path: string, options?: { body?: string | Buffer, contentType?: string, timeoutMs?: number, signal?: AbortSignal }) => Promise<UpstreamReply>
  close: () => Promise<void>
}

export interface UpstreamReply {
  status: number | null
  text: string
  error?: string
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
        const kind = classifyAnswer(res.status, res.text)
        if (kind === 'ok' && options.readBody) {
          // A 2xx that is not JSON is not the control plane's answer (a proxy's page): retry.
          try {
            return { kind, status: res.status, body: JSON.parse(res.text) as unknown }
          } catch {
            return { kind: 'retry', status: res.status, error: `HTTP ${res.status} without a JSON body${summary(res.text)}` }
          }
        }
        if (kind === 'ok' && options.peekBody) return { kind, status: res.status, body: tryJson(res.text) }
        return kind === 'ok'
          ? { kind, status: res.status }
          : { kind, status: res.status, error: `HTTP ${res.status}${summary(res.text)}` }
      } catch (err) {
        return { kind: 'retry', status: null, error: describeRequestError(err) }
      }
    },
    async request (method, path, options = {}) {
      const url = new URL(path.replace(/^\//, ''), base)
      const contentType = options.contentType ?? headers['content-type'] as string
      try {
        const res = await httpRequest(url, {
          method,
          headers: { ...headers, 'content-type': contentType },
          ...(options.body !== undefined ? { body: options.body } : {}),
          agent,
          timeoutMs: options.timeoutMs ?? timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        })
        return { status: res.status, text: res.text }
      } catch (err) {
        return { status: null, text: '', error: describeRequestError(err) }
      }
    },
    async close () {
      // Callers settle their own requests first; what's left are idle keep-alive sockets.
      agent.destroy()
    },
  }
}

function tryJson (text: string): unknown {
  try { return JSON.parse(text) as unknown } catch { return undefined }
}

function summary (text: string): string {
  const t = text.trim().replace(/\s+/g, ' ')
  return t === '' ? '' : `: ${t.slice(0, 200)}`
}
