import type { Test } from 'tap'
import pino from 'pino'
import { createControlPlane } from '../../../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig, type ControlPlaneConfigInput } from '../../../control-plane/config.ts'
import { bootstrapAdminKey } from '../../../control-plane/auth/bootstrap-admin-key.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import { productParts } from '../../../control-plane/product-parts.ts'
import { SESSION_COOKIE } from '../../../control-plane/auth/create-session-auth.ts'

export const T0 = Date.UTC(2026, 4, 9, 0, 30)
export const TTL_MS = 3_600_000

export interface ConsoleRes { status: number, headers: Headers, text: string, body: any }

/**
 * The whole product (every router, the console included) on an in-memory store with a
 * bootstrapped superadmin key (`root`), an injected clock and app.request().
 */
export async function consoleHarness (t: Test, options: { config?: ControlPlaneConfigInput } = {}) {
  let clock = T0
  const now = () => clock
  const store = await openSqliteStore(':memory:')
  t.teardown(() => store.close())
  // Telemetry's group-commit timer is unref'd (it must not hold a stopping server open); in
  // app.request() tests nothing else holds the loop, so an ingest would end the process.
  const keepAlive = setInterval(() => {}, 60_000)
  t.teardown(() => clearInterval(keepAlive))
  const root = (await bootstrapAdminKey(store, undefined, now)).key!
  const lines: string[] = []
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(s) } })
  const app = createControlPlane({
    store, log, now, sessionTtlMs: TTL_MS,
    config: parseControlPlaneConfig({ db: ':memory:', ...options.config }),
    routers: productParts().routers,
  })

  async function req (method: string, path: string, o: { cookie?: string, key?: string, form?: Record<string, string>, json?: unknown, headers?: Record<string, string>, address?: string } = {}): Promise<ConsoleRes> {
    const headers: Record<string, string> = { ...o.headers }
    if (o.cookie !== undefined) headers.cookie = o.cookie
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`
    let body: string | undefined
    if (o.form !== undefined) {
      body = new URLSearchParams(o.form).toString()
      headers['content-type'] ??= 'application/x-www-form-urlencoded'
    } else if (o.json !== undefined) {
      body = JSON.stringify(o.json)
      headers['content-type'] ??= 'application/json'
    }
    const env = { incoming: { socket: { remoteAddress: o.address ?? '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env)
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, headers: res.headers, text, body: parsed }
  }

  /** Logs in with `key`; the session cookie and the page's CSRF token. */
  async function login (key: string = root): Promise<{ cookie: string, csrf: string, setCookie: string }> {
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

  async function mint (permissions: string[], extra: Record<string, unknown> = {}): Promise<{ key: string, id: number }> {
    const res = await req('POST', '/api/api-keys', { key: root, json: { label: `k-${permissions.join('-')}`, permissions, ...extra } })
    if (res.status !== 201) throw new Error(`mint failed: ${res.status} ${res.text}`)
    return { key: res.body.key, id: res.body.id }
  }

  return { app, store, root, req, login, mint, now, advance (ms: number) { clock += ms }, logs: () => lines.join('') }
}
