import { Agent, request } from 'undici'
import { classifyStatus } from './classify-status.ts'
import type { StatusClass } from './classify-status.ts'

export interface UpstreamOptions {
  /** `--control-plane`, e.g. http://10.0.0.5:8080 (a path prefix is kept). */
  baseUrl: string
  apiKey?: string
  userAgent: string
  /** Bound on one request, connect to last body byte. */
  timeoutMs?: number
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
 * The agent's one HTTP client to the control plane: a keep-alive undici Agent so a 1 Hz push
 * reuses one connection instead of a TCP (and TLS) handshake per second. Requests are never
 * retried here: POST retry policy belongs to the uplink, which knows about the spool.
 */
export function createUpstream ({ baseUrl, apiKey, userAgent, timeoutMs = 5000 }: UpstreamOptions): Upstream {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
  const dispatcher = new Agent({
    // Longer than the 1 s push interval so the connection is still there for the next tick.
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: 4,
    connect: { timeout: timeoutMs },
  })
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': userAgent }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`

  return {
    async postJson (path, payload, options = {}) {
      const limit = options.timeoutMs ?? timeoutMs
      const signals = [AbortSignal.timeout(limit)]
      if (options.signal) signals.push(options.signal)
      const url = new URL(path.replace(/^\//, ''), base)
      try {
        const res = await request(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
          dispatcher,
          signal: AbortSignal.any(signals),
          headersTimeout: limit,
          bodyTimeout: limit,
        })
        const kind = classifyStatus(res.statusCode)
        if (kind === 'ok' && options.readBody) {
          return { kind, status: res.statusCode, body: await res.body.json() }
        }
        // Always drain the body, or the keep-alive socket can't be reused.
        const text = await res.body.text()
        return kind === 'ok'
          ? { kind, status: res.statusCode }
          : { kind, status: res.statusCode, error: `HTTP ${res.statusCode}${summary(text)}` }
      } catch (err) {
        return { kind: 'retry', status: null, error: describe(err) }
      }
    },
    async close () {
      // Callers settle their own requests first; what's left are idle keep-alive sockets.
      await dispatcher.destroy().catch(() => {})
    },
  }
}

function summary (text: string): string {
  const t = text.trim().replace(/\s+/g, ' ')
  return t === '' ? '' : `: ${t.slice(0, 200)}`
}

function describe (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    const cause = (err as { cause?: { code?: unknown } }).cause?.code
    return `${typeof code === 'string' ? code : err.name}${typeof cause === 'string' ? `/${cause}` : ''}: ${err.message}`
  }
  return String(err)
}
