import type { Context } from 'hono'
import { HttpError } from '../../shared/http-error.ts'

export type ApiFetch = (path: string, init?: RequestInit) => Promise<Response>

// What a proxied call carries of the browser's request: its session (cookie), its CSRF token and
// origin for the one write, and what --trust-proxy reads. Never an Authorization header.
const FORWARDED = ['cookie', 'x-csrf-token', 'origin', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']

/**
 * One in-process call to the gateway API as the caller's own session (the "fan out to the real
 * backends" of seed 001), at the caller's origin so the gateway's CSRF origin check sees the same
 * site. A refusal keeps the gateway's status, code, message and details.
 */
export async function gatewayCall<T> (api: ApiFetch, c: Context, path: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  for (const h of FORWARDED) {
    const v = c.req.header(h)
    if (v !== undefined) headers[h] = v
  }
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const url = new URL(path, c.req.url).href
  const res = await api(url, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) })
  const body = await res.json().catch(() => null) as any
  if (!res.ok) {
    const { code, message, details } = body ?? {}
    throw new HttpError(res.status, typeof code === 'string' ? code : 'UPSTREAM_ERROR', typeof message === 'string' ? message : `${path} answered ${res.status}`,
      typeof details === 'object' && details !== null ? details : undefined)
  }
  return body as T
}
