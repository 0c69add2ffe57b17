import { httpRequest } from '../http-request.ts'

export interface JsonReply {
  status: number
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown
}

/** POST a JSON body, read a JSON reply. Throws on network errors and timeouts. */
export type PostJson = (url: string, body: unknown, headers: Record<string, string>) => Promise<JsonReply>

/**
 * POST with one overall deadline (connect + headers + body): an operator waiting on
 * `/v1/gpu/status` should hear "control plane unreachable" in seconds, not hang.
 */
export function createHttpPostJson (options: { timeoutMs: number, ca?: Buffer | undefined }): PostJson {
  const { timeoutMs, ca } = options
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`createHttpPostJson: timeoutMs must be a positive integer, got ${String(timeoutMs)}`)
  }
  return async function postJson (url, body, headers) {
    const res = await httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      timeoutMs,
      ca,
    })
    let parsed: unknown
    try { parsed = res.text === '' ? undefined : JSON.parse(res.text) } catch { parsed = undefined }
    return { status: res.status, body: parsed }
  }
}
