import { describeRequestError, httpRequest } from '../http-request.ts'

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
  /** Extra request headers (a runtime's `authorization`); never part of an error message. */
  headers?: Record<string, string>
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
  try {
    const headers: Record<string, string> = { ...options.headers }
    if (options.json !== undefined) headers['content-type'] = 'application/json'
    const res = await httpRequest(url, {
      method,
      timeoutMs: options.timeoutMs,
      headers,
      ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    })
    return { status: res.status, text: res.text, json: parseJson(res.text) }
  } catch (err) {
    // The socket error's code (ECONNREFUSED, ENOTFOUND) with its message: either alone can be vague.
    throw new Error(`${method} ${url} failed: ${describeRequestError(err)}`, { cause: err })
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
