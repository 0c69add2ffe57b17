import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { serve } from '@hono/node-server'
import { readTlsFiles, type TlsFiles } from '../shared/read-tls-files.ts'
import { ControlPlaneError } from './errors.ts'
import { listenFailure } from '../shared/listen-failure.ts'
import { errorBody } from '../shared/http-error.ts'
import pino from 'pino'
import { Registry } from 'prom-client'
import { collectProcessMetrics } from '../shared/collect-process-metrics.ts'
import type { ControlPlaneConfig } from './config.ts'
import { createControlPlane } from './create-control-plane.ts'
import type { CpLogger, RouterMount } from './http/router-mount.ts'
import type { Loop, LoopContext } from './loops/loop.ts'
import { bootstrapAdminKey } from './auth/bootstrap-admin-key.ts'
import { openStore, redactDb } from './store/open-store.ts'
import { createCheckpointMetrics } from './http/create-checkpoint-metrics.ts'
import type { Store } from './store/store.ts'
import type { LeaderLease } from './loops/leader-lease.ts'
import { leaderLeaseFor } from './loops/leader-lease-for.ts'
import { runWhileLeader, type LeaderGate } from './loops/run-while-leader.ts'

export interface StartControlPlaneOptions {
  log?: pino.Logger
  routers?: readonly RouterMount[]
  /** Built once the store is open (hence factories), run while this replica leads, once the server listens. */
  loops?: ReadonlyArray<(ctx: LoopContext) => Loop>
  now?: () => number
  registry?: Registry
  /** Default: leaderLeaseFor(config.db), an advisory lock on PostgreSQL, always the leader on SQLite. */
  leadership?: LeaderLease
}

export interface RunningControlPlane {
  /** e.g. http://127.0.0.1:8080 (the real port when 0 was asked; https: with --tls-cert). */
  url: string
  port: number
  /** A generated superadmin key on the first start of an empty store: print it once. */
  bootstrapKey?: string
  store: Store
  leadership: LeaderLease
  close: () => Promise<void>
}

/**
 * Wires the control plane: listen (a taken port fails before anything is written; requests
 * get a 503 until the app is built) → open (and migrate) the store → bootstrap the admin key →
 * build the app → take part in the leader lease (the loops run while it is held).
 * close() is the reverse and written down here: end long polls (RouterContext.closing), stop the loops (no new background writes)
 * and give the lease up, close the server (in-flight requests finish), then close the store
 * (nothing can touch it any more).
 */
export async function startControlPlane (config: ControlPlaneConfig, options: StartControlPlaneOptions = {}): Promise<RunningControlPlane> {
  const log = options.log ?? pino({ level: config.logLevel, base: { svc: 'gpufleet-control-plane' } })
  // Before the store opens: an unreadable or mismatched certificate is a configuration error.
  const tls = readServerTls(config)
  const now = options.now ?? Date.now
  const registry = options.registry ?? new Registry()
  // Process CPU, RSS, heap, event loop: here (the running server), not in every app a test builds.
  collectProcessMetrics(registry, 'gpufleet_cp_')
  // Bind first: a port in use fails here, before a database file is created or a superadmin
  // key generated that nobody would see. Until the app is built, requests get a 503.
  let handler: Fetch | undefined
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const listening = await listen((req, env) => handler === undefined ? starting() : handler(req, env), config.host, config.port, tls).catch((err: unknown) => {
    const failure = listenFailure(err, `${host}:${config.port}`)
    throw failure === null ? err : new ControlPlaneError(failure.code, failure.message, { cause: err })
  })
  const server: Server = listening.server
  let store: Store
  try {
    store = await openStore(config.db, { log, onCheckpoint: createCheckpointMetrics(registry) }, config.telemetryEngine)
  } catch (err) {
    await closeServer(server)
    throw err
  }
  const leadership = options.leadership ?? leaderLeaseFor(config.db, { now, log })
  let gate: LeaderGate | undefined
  const closing = new AbortController()
  try {
    const boot = await bootstrapAdminKey(store, config.adminKey, now)
    if (boot.created) log.warn({ label: 'bootstrap', from: boot.key === undefined ? 'GPUFLEET_ADMIN_KEY' : 'generated' }, 'stored a superadmin key')
    const app = createControlPlane({ store, log, config, now, registry, routers: options.routers ?? [], leadership, closing: closing.signal })
    handler = app.fetch
    const loops = (options.loops ?? []).map(make => make({ config, store, log, now, registry }))
    gate = runWhileLeader(leadership, loops, log)
    await gate.start()
    const url = `${tls === undefined ? 'http' : 'https'}://${host}:${listening.port}`
    log.info({ url, db: redactDb(config.db), demo: config.demo, leader: leadership.isLeader() }, 'control plane started')

    let closed: Promise<void> | undefined
    const running: RunningControlPlane = {
      url,
      port: listening.port,
      store,
      leadership,
      close () {
        closed ??= shutdown(gate, server, store, closing).then(() => log.info({}, 'control plane stopped'))
        return closed
      },
    }
    if (boot.key !== undefined) running.bootstrapKey = boot.key
    return running
  } catch (err) {
    await shutdown(gate, server, store, closing)
    throw err
  }
}

async function shutdown (gate: LeaderGate | undefined, server: Server, store: Store, closing: AbortController): Promise<void> {
  // Long polls (agents' assignment waits) answer now, so the server's close below is not held up by them.
  closing.abort()
  await gate?.stop()
  await closeServer(server)
  await store.close()
}

/** How long requests still in flight at a stop may take before their sockets are cut. */
const CLOSE_DEADLINE_MS = 10_000

/**
 * Stop accepting connections and let the open ones drain. Keep-alive clients (agents pushing
 * every second, long-polling their assignments) would keep a socket busy for ever: every answer
 * from here on says `Connection: close`, idle sockets close now, and any still busy after
 * CLOSE_DEADLINE_MS are cut.
 */
function closeServer (server: Server): Promise<void> {
  return new Promise<void>(resolve => {
    server.on('request', (_req: unknown, res: { headersSent: boolean, setHeader: (name: string, value: string) => void }) => {
      if (!res.headersSent) res.setHeader('connection', 'close')
    })
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_DEADLINE_MS)
    server.close(() => { clearTimeout(cut); resolve() })
    server.closeIdleConnections()
  })
}

type Fetch = Parameters<typeof serve>[0]['fetch']

/** The moment between binding and the app being built (the store migrating): retry shortly. */
function starting (): Response {
  return Response.json(errorBody(503, 'STORE_UNAVAILABLE', 'the control plane is starting; retry'), { status: 503, headers: { 'retry-after': '1' } })
}

function readServerTls (config: ControlPlaneConfig): TlsFiles | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined
  try {
    return readTlsFiles({ cert: config.tlsCert, key: config.tlsKey })
  } catch (err) {
    throw new ControlPlaneError('CONFIG_INVALID', `invalid control-plane configuration:\n  ${(err as Error).message}`)
  }
}

function listen (fetch: Fetch, hostname: string, port: number, tls: TlsFiles | undefined): Promise<{ server: Server, port: number }> {
  return new Promise((resolve, reject) => {
    const https = tls === undefined ? {} : { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } }
    const server = serve({ fetch, hostname, port, ...https }, info => resolve({ server: server as Server, port: info.port }))
    server.once('error', reject)
  })
}
