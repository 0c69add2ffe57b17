import { request } from 'undici'

export interface RuntimeResponse {
  status: number
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

export interface RuntimeRequestOptions {
  method?: 'GET' | 'POST'
  /** Sent as a JSON body with content-type application/json. */
  json?: unknown
  /** Whole-request bound (connect, headers and body). */
  timeoutMs: number
}

/**
 * One HTTP call to a model runtime on this host. Any status comes back to the caller (each
 * runtime gives its own meaning to 404/400); only transport failures throw, with a message
 * that names the URL, because it ends up verbatim in the purge's `errors`.
 */
export async function runtimeRequest (url: string, options: RuntimeRequestOptions): Promise<RuntimeResponse> {
  const method = options.method ?? 'GET'
  const signal = AbortSignal.timeout(options.timeoutMs)
  try {
    const res = await request(url, {
      method,
      signal,
      headers: options.json === undefined ? {} : { 'content-type': 'application/json' },
      body: options.json === undefined ? null : JSON.stringify(options.json),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
    const text = await res.body.text()
    return { status: res.statusCode, text, json: parseJson(text) }
  } catch (err) {
    const why = signal.aborted ? `no answer within ${options.timeoutMs} ms` : describe(err)
    throw new Error(`${method} ${url} failed: ${why}`, { cause: err })
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  // undici puts the socket error (ECONNREFUSED, ENOTFOUND) on `code`; its message alone can be vague.
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
}
