import type { UpstreamReply } from '../uplink/create-upstream.ts'

/**
 * What a control-plane answer to the jobs' requests means:
 * - ok: a 2xx with a JSON body.
 * - refused: a 4xx that the control plane itself gave (a JSON error with a stable `code`):
 *   sending the same again cannot help (the caller drops it, or follows `details`).
 * - retry: everything else: no answer, 5xx, 401/403 (a key an operator will fix), a proxy's page.
 */
export type JobAnswer =
  | { kind: 'ok', status: number, body: unknown }
  | { kind: 'refused', status: number, code: string, message: string, details: Record<string, unknown> }
  | { kind: 'retry', status: number | null, error: string, auth: boolean }

export function readJobAnswer (reply: UpstreamReply): JobAnswer {
  const { status } = reply
  if (status === null) return { kind: 'retry', status, error: reply.error ?? 'no answer', auth: false }
  const body = tryJson(reply.text)
  if (status >= 200 && status < 300) {
    return body === undefined ? { kind: 'retry', status, error: `HTTP ${status} without a JSON body`, auth: false } : { kind: 'ok', status, body }
  }
  const auth = status === 401 || status === 403
  if (status >= 400 && status < 500 && !auth && status !== 408 && status !== 429) {
    // The one error shape is {statusCode, code, message, details}; {error: {code, details}} is read too.
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const inner = (typeof b.error === 'object' && b.error !== null ? b.error : {}) as Record<string, unknown>
    const code = typeof b.code === 'string' ? b.code : typeof inner.code === 'string' ? inner.code : null
    if (code !== null) {
      const details = (b.details ?? inner.details ?? {}) as Record<string, unknown>
      const message = typeof b.message === 'string' ? b.message : typeof inner.message === 'string' ? inner.message : ''
      return { kind: 'refused', status, code, message, details: typeof details === 'object' && details !== null ? details : {} }
    }
  }
  return { kind: 'retry', status, error: `HTTP ${status}${reply.text.trim() === '' ? '' : `: ${reply.text.trim().replace(/\s+/g, ' ').slice(0, 200)}`}`, auth }
}

function tryJson (text: string): unknown {
  try { return JSON.parse(text) as unknown } catch { return undefined }
}
