import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import { createAlertsLoop, type AlertsLoopOptions } from '../../../control-plane/alerts/create-alerts-loop.ts'
import { fakeClock } from '../fleet/fleet-harness.ts'
import { memoryLog } from '../router-harness.ts'
import { fleetBuilder, openInsightStore } from '../store/insight-fixture.ts'
import type { SqliteStoreOptions } from '../../../control-plane/store/sqlite/open-sqlite-store.ts'

export const NOW = Date.UTC(2026, 4, 10, 0, 0, 0)
export const MIN = 60_000
export const H = 3600_000

/**
 * An alerts loop on a real SQLite store, a hand-driven clock and a recording log. One
 * teardown stops the loop before the store closes.
 */
export async function alertsSetup (t: Test, opts: Pick<AlertsLoopOptions, 'webhook' | 'everyMs'> & { path?: string, store?: SqliteStoreOptions } = {}) {
  const { store, rows, close } = await openInsightStore(opts.path ?? join(t.testdir(), 'gpufleet.db'), opts.store)
  const clock = fakeClock(NOW)
  const { lines, log } = memoryLog()
  // The receivers here are loopback servers: the harness allows private addresses (as
  // --alert-webhook-allow-private does) unless a test sets allowPrivateAddresses: false.
  const webhook = opts.webhook === false ? false : { allowPrivateAddresses: true, ...opts.webhook }
  const loop = createAlertsLoop({ store, now: clock.now, log, timers: clock.timers, everyMs: opts.everyMs, webhook })
  t.teardown(async () => { await loop.stop(); await close() })
  const fleet = fleetBuilder(store)
  const open = async () => (await store.alerts.listEvents({ limit: 100 })).filter(e => e.resolvedAt === null)
  return { store, rows, clock, lines, loop, fleet, open }
}

export interface Received { body: any, headers: Record<string, string>, status: number }

/**
 * A webhook receiver: a real Hono server on 127.0.0.1:0. `answers` are the statuses of the
 * first requests (then 200); `hold()` makes requests wait until `release()`.
 */
export async function startReceiver (t: Test, answers: number[] = []) {
  const received: Received[] = []
  let held: Array<() => void> | null = null
  let arrivals: Array<() => void> = []
  const app = new Hono()
  app.post('/hook/:secret', async c => {
    arrivals.forEach(r => r())
    arrivals = []
    if (held !== null) await new Promise<void>(resolve => held!.push(resolve))
    const status = answers.shift() ?? 200
    received.push({ body: await c.req.json(), headers: Object.fromEntries(c.req.raw.headers), status })
    return c.json({ ok: status < 300 }, status as 200)
  })
  const server = await new Promise<ReturnType<typeof serve>>(resolve => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  t.teardown(() => new Promise<void>(resolve => {
    held?.forEach(r => r())
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close(() => resolve())
  }))
  return {
    url: `http://127.0.0.1:${port}/hook/s3cr3t`,
    received,
    delivered: () => received.filter(r => r.status < 300),
    hold () { held = [] },
    release () { const h = held ?? []; held = null; h.forEach(r => r()) },
    /** Resolves when the next request reaches the receiver. */
    arrival: () => new Promise<void>(resolve => { arrivals.push(resolve) }),
  }
}
