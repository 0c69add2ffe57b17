import type { Test } from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { createControlPlane } from '../../../control-plane/create-control-plane.ts'
import { parseControlPlaneConfig } from '../../../control-plane/config.ts'
import { bootstrapAdminKey } from '../../../control-plane/auth/bootstrap-admin-key.ts'
import { generateApiKey, hashApiKey, keyPrefixOf } from '../../../shared/wire/api-key-format.ts'
import { openSqliteStore } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { createAnalyticsRouter, ANALYTICS_BODY_LIMITS } from '../../../control-plane/analytics/create-analytics-router.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'
import { schedulingRows } from './insert-scheduling-rows.ts'

export const T0 = Date.UTC(2026, 5, 1)
export const MIN = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

export interface Res {
  status: number
  body: any
  text: string
}

/** Stores a key straight in the store (no HTTP round trip) and returns the raw value. */
export async function mintKey (store: Store, permissions: Scope[], at = 0): Promise<string> {
  const key = generateApiKey()
  await store.apiKeys.create({ keyHash: hashApiKey(key), keyPrefix: keyPrefixOf(key), label: permissions.join('+'), permissions, tenantId: null, createdByKeyId: null, createdAt: at })
  return key
}

/**
 * The real control plane (real auth, error handler, body limits) with the analytics router
 * mounted, on a SQLite file in the test dir, with an injected clock; keys for each scope; the
 * raw scheduling-row writer; and `req()` over app.request().
 */
export async function analyticsHarness (t: Test, options: { now?: number } = {}) {
  let clock = options.now ?? T0 + 30 * DAY
  const now = () => clock
  const dbPath = join(t.testdir(), 'gpufleet.db')
  const store = await openSqliteStore(dbPath)
  const rows = schedulingRows(dbPath)
  t.teardown(async () => { rows.close(); await store.close() })
  const boot = await bootstrapAdminKey(store, undefined, now)
  const lines: string[] = []
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(s) } })
  const config = parseControlPlaneConfig({ db: dbPath })
  const app = createControlPlane({
    store, log, config, now,
    routers: [{ path: '/', router: ctx => createAnalyticsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }), bodyLimits: ANALYTICS_BODY_LIMITS }],
  })
  const keys = {
    superadmin: boot.key!,
    admin: await mintKey(store, ['admin']),
    write: await mintKey(store, ['write']),
    read: await mintKey(store, ['read']),
    ingest: await mintKey(store, ['ingest']),
  }

  async function req (method: string, path: string, o: { key?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Res> {
    const headers: Record<string, string> = { ...o.headers }
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`
    let body: string | undefined
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
      headers['content-type'] ??= 'application/json'
    }
    const env = { incoming: { socket: { remoteAddress: '192.0.2.1', remotePort: 40000, remoteFamily: 'IPv4' } } }
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }, env)
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed, text }
  }

  /** GET as admin. */
  const get = (path: string) => req('GET', path, { key: keys.admin })

  return {
    app, store, rows, keys, req, get, now,
    set (ms: number) { clock = ms },
    logs: () => lines.join(''),
  }
}
