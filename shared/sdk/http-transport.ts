import { Agent, request, type Dispatcher } from 'undici'
import { ApiError, InvalidArgumentError, NetworkError, ResponseError, TimeoutError } from './errors.ts'
import { camelize, snakeize, type Camel } from './camel-case.ts'
import { backoffDelay } from '../backoff-delay.ts'

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (control plane) or http://10.0.0.5:9410 (agent). */
  baseUrl: string
  /** A gfk_… key, sent as `Authorization: Bearer`. */
  apiKey?: string | undefined
  /** Per attempt: no (complete) answer in this time → TimeoutError. Default 30 s. */
  timeoutMs?: number
  /** Retries of idempotent requests (GET) after a network error, a timeout, 429 or 502–504. Default 3. */
  retries?: number
  /** First retry delay; doubles each retry up to retryMaxDelayMs (a Retry-After header wins, capped). Default 250 ms. */
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** Injected for tests: how to wait between retries. */
  sleep?: (ms: number) => Promise<void>
  /** An undici dispatcher to share; by default each client owns a keep-alive Agent (close() ends it). */
  dispatcher?: Dispatcher
  /**
   * PEM CA certificate(s) to trust for an https:// baseUrl instead of the system roots (a
   * private CA). NODE_EXTRA_CA_CERTS also works, added to the roots for the whole process.
   * Not with `dispatcher` (give that dispatcher its own `connect: { ca }`).
   */
  ca?: string | Buffer | undefined
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null> | undefined
  /** camelCase object: sent snake_case as JSON. */
  body?: unknown
  /** Retry this request like a GET. Never the default for POST/PUT/PATCH/DELETE. */
  retry?: boolean
  timeoutMs?: number
}

/** A GET answered with a body to read as it comes (text, not JSON). */
export interface StreamedResponse {
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Buffer>
  /** Stops reading and closes the connection. */
  cancel: () => void
}

export interface StreamOptions {
  query?: RequestOptions['query']
  /** Longest wait for the headers, and (unless `open`) between body bytes. Default: the client's timeoutMs. */
  timeoutMs?: number
  /** The body may stay silent for any time (a followed log): no body timeout. */
  open?: boolean
}

export interface Transport {
  request: <T>(method: string, path: string, options?: RequestOptions) => Promise<Camel<T>>
  /** GET whose body is read as a stream; a non-2xx answer throws the same ApiError as request(). Not retried. */
  stream: (path: string, options?: StreamOptions) => Promise<StreamedResponse>
  close: () => Promise<void>
}

const RETRY_STATUSES = new Set([429, 502, 503, 504])
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/** The HTTP core both clients share: auth, JSON and case conversion, typed errors, retries. */
export function createTransport (options: ClientOptions): Transport {
  const o = validate(options)
  const ownDispatcher = options.dispatcher === undefined ? new Agent({ keepAliveTimeout: 10_000, ...(o.ca === undefined ? {} : { connect: { ca: o.ca } }) }) : undefined
  const dispatcher = options.dispatcher ?? ownDispatcher as Dispatcher
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)))

  async function once (method: string, url: URL, body: string | undefined, timeoutMs: number): Promise<{ status: number, text: string, retryAfter: string | undefined }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'gpufleet-sdk' }
    if (o.apiKey !== undefined) headers.authorization = `Bearer ${o.apiKey}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    try {
      const res = await request(url, { method: method as Dispatcher.HttpMethod, headers, body, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
      const text = await res.body.text()
      const retryAfter = res.headers['retry-after']
      return { status: res.statusCode, text, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined }
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (TIMEOUT_CODES.has(code)) throw new TimeoutError(`${method} ${url.href}: no answer within ${timeoutMs} ms`, err)
      throw new NetworkError(`${method} ${url.href}: ${(err as Error).message}${code === '' ? '' : ` (${code})`}`, err)
    }
  }

  async function send<T> (method: string, path: string, ro: RequestOptions = {}): Promise<Camel<T>> {
    const url = new URL(path.replace(/^\//, ''), o.baseUrl)
    for (const [k, v] of Object.entries(ro.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v))
    const body = ro.body === undefined ? undefined : JSON.stringify(snakeize(ro.body))
    const retries = (ro.retry ?? (method === 'GET' || method === 'HEAD')) ? o.retries : 0
    for (let attempt = 0; ; attempt++) {
      let answer: Awaited<ReturnType<typeof once>>
      try {
        answer = await once(method, url, body, ro.timeoutMs ?? o.timeoutMs)
      } catch (err) {
        if (attempt >= retries) throw err
        await sleep(delay(attempt, undefined))
        continue
      }
      if (answer.status >= 200 && answer.status < 300) return parseOk<T>(answer.status, answer.text, method, url)
      if (RETRY_STATUSES.has(answer.status) && attempt < retries) {
        await sleep(delay(attempt, answer.retryAfter))
        continue
      }
      throw apiError(answer.status, answer.text, method, url)
    }
  }

  function delay (attempt: number, retryAfter: string | undefined): number {
    const seconds = retryAfter === undefined ? NaN : Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, o.retryMaxDelayMs)
    return backoffDelay(attempt + 1, { initialMs: o.retryBaseDelayMs, maxMs: o.retryMaxDelayMs })
  }

  async function stream (path: string, so: StreamOptions = {}): Promise<StreamedResponse> {
    const url = new URL(path.replace(/^\//, ''), o.baseUrl)
    for (const [k, v] of Object.entries(so.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v))
    const headers: Record<string, string> = { accept: 'text/plain, application/json', 'user-agent': 'gpufleet-sdk' }
    if (o.apiKey !== undefined) headers.authorization = `Bearer ${o.apiKey}`
    const timeoutMs = so.timeoutMs ?? o.timeoutMs
    let res: Dispatcher.ResponseData
    try {
      res = await request(url, { method: 'GET', headers, dispatcher, headersTimeout: timeoutMs, bodyTimeout: so.open === true ? 0 : timeoutMs })
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (TIMEOUT_CODES.has(code)) throw new TimeoutError(`GET ${url.href}: no answer within ${timeoutMs} ms`, err)
      throw new NetworkError(`GET ${url.href}: ${(err as Error).message}${code === '' ? '' : ` (${code})`}`, err)
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw apiError(res.statusCode, await res.body.text(), 'GET', url)
    const body = res.body
    async function * chunks (): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of body) yield chunk as Buffer
      } catch (err) {
        if (body.destroyed && (err as { name?: string }).name === 'AbortError') return
        const code = (err as { code?: string }).code ?? ''
        if (TIMEOUT_CODES.has(code)) throw new TimeoutError(`GET ${url.href}: the body stalled for ${timeoutMs} ms`, err)
        throw new NetworkError(`GET ${url.href}: ${(err as Error).message}${code === '' ? '' : ` (${code})`}`, err)
      }
    }
    return { headers: res.headers, body: chunks(), cancel: () => { body.destroy() } }
  }

  return {
    request: send,
    stream,
    close: async () => { await ownDispatcher?.close() },
  }
}

function parseOk<T> (status: number, text: string, method: string, url: URL): Camel<T> {
  if (text === '') return undefined as Camel<T>
  try {
    return camelize(JSON.parse(text) as T)
  } catch {
    throw new ResponseError(`${method} ${url.href}: ${status} with a body that is not JSON: ${text.slice(0, 120)}`, status)
  }
}

function apiError (status: number, text: string, method: string, url: URL): ApiError {
  let body: Record<string, unknown> | undefined
  try { body = JSON.parse(text) as Record<string, unknown> } catch {}
  const ok = typeof body?.code === 'string' && typeof body.message === 'string'
  return new ApiError({
    statusCode: status,
    code: ok ? body?.code as string : `HTTP_${status}`,
    error: typeof body?.error === 'string' ? body.error : '',
    message: ok ? body?.message as string : `${status} from ${url.origin}${text === '' ? '' : `: ${text.slice(0, 200)}`}`,
    details: ok && typeof body?.details === 'object' && body.details !== null ? body.details as Record<string, unknown> : undefined,
    method,
    url: url.href,
  })
}

interface Validated { baseUrl: string, apiKey: string | undefined, timeoutMs: number, retries: number, retryBaseDelayMs: number, retryMaxDelayMs: number, ca: string | Buffer | undefined }

function validate (options: ClientOptions): Validated {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options must be an object such as { baseUrl, apiKey }')
  let base: URL
  try { base = new URL(options.baseUrl) } catch { throw new InvalidArgumentError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`) }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new InvalidArgumentError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`)
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) throw new InvalidArgumentError('apiKey must be a non-empty string')
  const ca = options.ca
  if (ca !== undefined) {
    if (!(typeof ca === 'string' || Buffer.isBuffer(ca)) || !ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new InvalidArgumentError('ca must be PEM certificate text (-----BEGIN CERTIFICATE-----) as a string or Buffer')
    if (options.dispatcher !== undefined) throw new InvalidArgumentError('ca and dispatcher do not go together: give the dispatcher its own connect: { ca }')
  }
  const int = (name: keyof ClientOptions, fallback: number, min: number): number => {
    const v = options[name] ?? fallback
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got ${String(v)}`)
    return v
  }
  // A trailing slash so relative paths resolve under a base path (https://host/gpufleet/).
  const baseUrl = base.href.endsWith('/') ? base.href : `${base.href}/`
  return {
    baseUrl,
    apiKey: options.apiKey,
    timeoutMs: int('timeoutMs', 30_000, 1),
    retries: int('retries', 3, 0),
    retryBaseDelayMs: int('retryBaseDelayMs', 250, 0),
    retryMaxDelayMs: int('retryMaxDelayMs', 5_000, 0),
    ca,
  }
}
