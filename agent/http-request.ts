import http from 'node:http'
import type { Agent, IncomingMessage } from 'node:http'

export interface HttpRequestOptions {
  method: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string | Buffer
  /** Whole-request bound: connect, headers and body. */
  timeoutMs: number
  /** Aborting ends the request at once (uplink stop). */
  signal?: AbortSignal
  /** A keep-alive pool (createKeepAliveAgent); default Node's global agent (keep-alive too). */
  agent?: Agent
  /** Bound on the reply body; a bigger one fails the request (default 8 MiB). */
  maxBodyBytes?: number
  /** PEM CA bundle trusted for an https: URL instead of the system roots (--control-plane-ca). */
  ca?: Buffer | undefined
}

export interface HttpReply {
  status: number
  text: string
}

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024

/**
 * The agent's one HTTP client (control-plane push and registration, key introspection, model
 * runtimes), on node:http rather than undici: undici's WebAssembly HTTP parser costs the agent
 * ~23 MB of resident memory and a ~12 MB spike on first use, a third of its 80 MB budget
 * (README "Performance"). Every status comes back to the caller; transport failures, the
 * deadline and an abort reject with an Error whose `code` says which (ECONNREFUSED,
 * ETIMEDOUT, ABORT_ERR, …). https: URLs load node:https on first use only.
 */
export function httpRequest (url: string | URL, options: HttpRequestOptions): Promise<HttpReply> {
  let target: URL
  let client: typeof http
  try {
    target = typeof url === 'string' ? new URL(url) : url
    client = clientFor(target)
  } catch (err) {
    return Promise.reject(err as Error)
  }
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => fail(withCode(new Error(`no answer within ${options.timeoutMs} ms`), 'ETIMEDOUT')), options.timeoutMs)
    const onAbort = (): void => fail(withCode(new Error('request aborted'), 'ABORT_ERR'))
    const finish = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      return true
    }
    function fail (err: Error): void {
      if (!finish()) return
      req.destroy()
      reject(err)
    }
    const headers: Record<string, string | number> = { ...options.headers }
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body)
    const req = client.request(target, { method: options.method, headers, ...(options.agent ? { agent: options.agent } : {}), ...(options.ca ? { ca: options.ca } : {}) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBody) fail(withCode(new Error(`reply body over ${maxBody} bytes`), 'EMSGSIZE'))
        else chunks.push(chunk)
      })
      res.on('end', () => { if (finish()) resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }) })
      res.on('error', fail)
      res.on('aborted', () => fail(withCode(new Error('connection closed mid-reply'), 'ECONNRESET')))
    })
    req.on('error', fail)
    if (options.signal?.aborted) return onAbort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    req.end(options.body)
  })
}

/** A keep-alive pool for one upstream: idle sockets close after `idleMs`; `ca` as in HttpRequestOptions. */
export function createKeepAliveAgent (url: string | URL, options: { maxSockets: number, idleMs: number, ca?: Buffer | undefined }): Agent {
  const target = typeof url === 'string' ? new URL(url) : url
  return new (clientFor(target).Agent)({ keepAlive: true, maxSockets: options.maxSockets, timeout: options.idleMs, ...(options.ca ? { ca: options.ca } : {}) })
}

/** `code: message`, the form the agent's logs and lastError use for a failed request. */
export function describeRequestError (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
}

function clientFor (url: URL): typeof http {
  if (url.protocol === 'http:') return http
  if (url.protocol === 'https:') return process.getBuiltinModule('node:https') as unknown as typeof http
  throw new TypeError(`only http: and https: URLs are supported, got ${url.protocol}`)
}

function withCode (err: Error, code: string): Error {
  return Object.assign(err, { code })
}
