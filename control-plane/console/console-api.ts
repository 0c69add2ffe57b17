import { HttpError } from '../../shared/http-error.ts'

export type ApiFetch = (path: string, init?: RequestInit) => Promise<Response>

/** What a page reads the API with: GET as the logged-in session, JSON back. */
export type ConsoleGet = <T = any>(path: string) => Promise<T>

/**
 * The console renders from the same API its client script calls, in process and as the
 * caller's own session (the cookie is passed on), so the API's scope and tenant checks decide
 * what a page may show and no SQL or wire shape is duplicated here. A refusal keeps the API's
 * status and code.
 */
export function consoleGet (api: ApiFetch, cookie: string): ConsoleGet {
  return async function get<T> (path: string): Promise<T> {
    const res = await api(path, { headers: { cookie, accept: 'application/json' } })
    const body = await res.json().catch(() => null) as any
    if (!res.ok) {
      throw new HttpError(res.status, typeof body?.code === 'string' ? body.code : 'UPSTREAM_ERROR',
        typeof body?.message === 'string' ? body.message : `${path} answered ${res.status}`)
    }
    return body as T
  }
}

/** What a page reads a text answer with (a job's log): the body and its headers, refusals as in ConsoleGet. */
export type ConsoleText = (path: string) => Promise<{ text: string, headers: Headers }>

export function consoleText (api: ApiFetch, cookie: string): ConsoleText {
  return async function text (path) {
    const res = await api(path, { headers: { cookie, accept: 'text/plain' } })
    const body = await res.text()
    if (!res.ok) {
      let parsed: any = null
      try { parsed = JSON.parse(body) } catch {}
      throw new HttpError(res.status, typeof parsed?.code === 'string' ? parsed.code : 'UPSTREAM_ERROR',
        typeof parsed?.message === 'string' ? parsed.message : `${path} answered ${res.status}`)
    }
    return { text: body, headers: res.headers }
  }
}
