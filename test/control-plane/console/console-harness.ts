import type { Test } from 'tap'
import type { ControlPlaneConfigInput } from '../../../control-plane/config.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { SESSION_COOKIE } from '../../../control-plane/auth/create-session-auth.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { cpHarness, type ReqOptions, type Res } from '../cp-harness.ts'

export { T0 } from '../cp-harness.ts'
export const TTL_MS = 3_600_000

export type ConsoleRes = Res

/** The whole product (every router, the console included) in cpHarness, with a console login. */
export async function consoleHarness (t: Test, options: { config?: ControlPlaneConfigInput, store?: Store } = {}) {
  const h = await cpHarness(t, { ...options, routers: productParts().routers, sessionTtlMs: TTL_MS, keepAlive: true })
  /** `json` is a JSON body (`body` in cpHarness). */
  const req = (method: string, path: string, o: ReqOptions & { json?: unknown } = {}): Promise<Res> => {
    const { json, ...rest } = o
    return h.req(method, path, json === undefined ? rest : { ...rest, body: json })
  }

  /** Logs in with `key`; the session cookie and the page's CSRF token. */
  async function login (key: string = h.root): Promise<{ cookie: string, csrf: string, setCookie: string }> {
    const res = await req('POST', '/login', { form: { key } })
    if (res.status !== 303) throw new Error(`login failed: ${res.status} ${res.text.slice(0, 300)}`)
    const setCookie = res.headers.get('set-cookie') ?? ''
    const m = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(setCookie)
    if (m === null) throw new Error(`no session cookie in ${setCookie}`)
    const cookie = `${SESSION_COOKIE}=${m[1]}`
    const page = await req('GET', '/', { cookie })
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1]
    if (csrf === undefined) throw new Error(`no csrf token on the fleet page (${page.status})`)
    return { cookie, csrf, setCookie }
  }

  const mint = (permissions: string[], extra: Record<string, unknown> = {}) => h.mint(permissions as Scope[], extra)

  return { app: h.app, store: h.store, root: h.root, req, login, mint, now: h.now, advance: h.advance, logs: h.logs }
}
