import type { Test } from 'tap'
import { join } from 'node:path'
import { generateApiKey, hashApiKey, keyPrefixOf } from '../../../shared/wire/api-key-format.ts'
import type { Store } from '../../../control-plane/store/store.ts'
import { createAnalyticsRouter, ANALYTICS_BODY_LIMITS } from '../../../control-plane/analytics/create-analytics-router.ts'
import type { Scope } from '../../../shared/wire/introspect.ts'
import { cpHarness, type Res } from '../cp-harness.ts'
import { schedulingRows } from './insert-scheduling-rows.ts'

export const T0 = Date.UTC(2026, 5, 1)
export const MIN = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

/** Stores a key straight in the store (no HTTP round trip) and returns the raw value. */
export async function mintKey (store: Store, permissions: Scope[], at = 0): Promise<string> {
  const key = generateApiKey()
  await store.apiKeys.create({ keyHash: hashApiKey(key), keyPrefix: keyPrefixOf(key), label: permissions.join('+'), permissions, tenantId: null, createdByKeyId: null, createdAt: at })
  return key
}

/**
 * cpHarness with the analytics router mounted, on a SQLite file in the test dir (so the raw
 * scheduling-row writer can open it too); keys for each scope; `get()` as admin.
 */
export async function analyticsHarness (t: Test, options: { now?: number } = {}) {
  const dbPath = join(t.testdir(), 'gpufleet.db')
  const h = await cpHarness(t, {
    dbPath,
    now: options.now ?? T0 + 30 * DAY,
    routers: [{ path: '/', router: ctx => createAnalyticsRouter({ store: ctx.store, requireScope: ctx.requireScope, now: ctx.now, log: ctx.log }), bodyLimits: ANALYTICS_BODY_LIMITS }],
  })
  const rows = schedulingRows(dbPath)
  t.teardown(() => rows.close())
  const keys = {
    superadmin: h.root,
    admin: await mintKey(h.store, ['admin']),
    write: await mintKey(h.store, ['write']),
    read: await mintKey(h.store, ['read']),
    ingest: await mintKey(h.store, ['ingest']),
  }
  const req = (method: string, path: string, o: { key?: string, body?: unknown, headers?: Record<string, string> } = {}): Promise<Res> => h.req(method, path, o)
  /** GET as admin. */
  const get = (path: string) => req('GET', path, { key: keys.admin })

  return { app: h.app, store: h.store, rows, keys, req, get, now: h.now, set: h.set, logs: h.logs }
}
