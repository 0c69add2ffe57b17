import type { Test } from 'tap'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createControlPlane } from '../../control-plane/create-control-plane.ts'
import type { CpLogger, RouterMount } from '../../control-plane/http/router-mount.ts'
import { parseControlPlaneConfig, type ControlPlaneConfigInput } from '../../control-plane/config.ts'
import { bootstrapAdminKey } from '../../control-plane/auth/bootstrap-admin-key.ts'
import { openSqliteStore } from '../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../control-plane/store/store.ts'
import type { Scope } from '../../shared/wire/introspect.ts'

export const T0 = Date.UTC(2026, 4, 9, 0, 30)

export interface ReqOptions {
  key?: string
  /** Sent as x-api-key instead of Authorization: Bearer. */
  viaHeader?: boolean
  cookie?: string
  /** JSON-encoded unless a string (sent as is, still as JSON). */
  body?: unknown
  /** Sent URL-encoded, as a browser's form. */
  form?: Record<string, string>
  headers?: Record<string, string>
  /** The socket address the app sees (getConnInfo reads env.incoming.socket). */
  address?: string
}

export interface Res {
  status: number
  body: any
  headers: Headers
  text: string
}

/** Anything with Hono's request(): a whole control plane or one router. */
export interface Requestable {
  request: (path: string, init?: RequestInit, env?: unknown) => Response | Promise<Response>
}

/** app.request() as a client on `address` would send it; the body parsed as JSON where it is JSON. */
export async function request (app: Requestable, method: string, path: string, o: ReqOptions = {}): Promise<Res> {
  const headers: Record<string, string> = { ...o.headers }
  if (o.cookie !== undefined) headers.cookie = o.cookie
  if (o.key !== undefined) {
    if (o.viaHeader === true) headers['x-api-key'] = o.key
    else headers.authorization = `Bearer ${o.key}`
  }
  let body: string | undefined
  if (o.form !== undefined) {
    body = new URLSearchParams(o.form).toString()
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
  } else if (o.body !== undefined) {
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    headers['content-type'] ??= 'application/json'
  }
  const env = { incoming: { socket: { remoteAddress: o.address ?? '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
  const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env)
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: res.status, body: parsed, headers: res.headers, text }
}

export interface CpHarnessOptions {
  config?: ControlPlaneConfigInput
  routers?: RouterMount[]
  /** A store the test opened and closes itself; by default a fresh SQLite store the harness closes. */
  store?: Store
  /** The SQLite file of the harness's own store (e.g. in t.testdir()); default in memory. */
  dbPath?: string
  /** The harness's hand-moved clock starts here (default T0); or a clock the test drives itself. */
  now?: number | (() => number)
  /** Default: a real pino at debug level writing to logs(). */
  log?: CpLogger
  sessionTtlMs?: number
  /**
   * Telemetry's group-commit timer is unref'd (it must not hold a stopping server open); in
   * app.request() tests nothing else holds the loop, so an ingest would end the process.
   */
  keepAlive?: boolean
}

/**
 * The real control plane (real keys and auth, body limits, JSON guard, error handler) with the
 * given routers, on its own SQLite store with a bootstrapped superadmin (`root`), an injected
 * clock, a real pino writing to `logs()`, and `req()` over app.request().
 */
export async function cpHarness (t: Test, options: CpHarnessOptions = {}) {
  let clock = typeof options.now === 'number' ? options.now : T0
  const now = typeof options.now === 'function' ? options.now : () => clock
  const dbPath = options.dbPath ?? ':memory:'
  const store = options.store ?? await openSqliteStore(dbPath)
  if (options.store === undefined) t.teardown(() => store.close())
  if (options.keepAlive === true) {
    const keepAlive = setInterval(() => {}, 60_000)
    t.teardown(() => clearInterval(keepAlive))
  }
  const boot = await bootstrapAdminKey(store, undefined, now)
  const root = boot.key
  if (root === undefined) throw new Error('bootstrap did not generate a key')
  const lines: string[] = []
  const log = options.log ?? pino({ level: 'debug' }, { write: (s: string) => { lines.push(s) } })
  const registry = new Registry()
  const config = parseControlPlaneConfig({ db: dbPath, ...options.config })
  const app = createControlPlane({
    store, log, config, now, registry, routers: options.routers ?? [],
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  })

  const req = (method: string, path: string, o: ReqOptions = {}): Promise<Res> => request(app, method, path, o)

  /** Mints a key through the API as root; returns the raw key and its id. */
  async function mint (permissions: Scope[], extra: Record<string, unknown> = {}): Promise<{ key: string, id: number }> {
    const res = await req('POST', '/api/api-keys', { key: root, body: { label: `k-${permissions.join('-')}`, permissions, ...extra } })
    if (res.status !== 201) throw new Error(`mint failed: ${res.status} ${res.text}`)
    return { key: res.body.key, id: res.body.id }
  }

  return {
    app,
    store,
    root,
    registry,
    req,
    mint,
    advance (ms: number) { clock += ms },
    set (ms: number) { clock = ms },
    now,
    logs: () => lines.join(''),
    list: async () => (await req('GET', '/api/api-keys', { key: root })).body as any[],
  }
}

/** Asserts the one error shape with this status and code. */
export function isError (t: Test, res: Res, status: number, code: string, msg?: string): void {
  t.equal(res.status, status, msg ?? `${status} ${code}`)
  t.match(res.body, { statusCode: status, code, error: String, message: String }, `${code} in the one error shape`)
  t.ok(res.headers.get('content-type')?.startsWith('application/json'), 'error body is JSON')
}
