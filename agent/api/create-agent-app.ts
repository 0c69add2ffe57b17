import type { Context } from 'hono'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { XidWatch } from '../collector/create-xid-watch.ts'
import type { GpuProcess } from '../../shared/wire/job-execution.ts'
import type { GpuSource } from '../gpu-source.ts'
import type { PurgeService } from '../../shared/wire/purge-types.ts'
import type { UplinkStats } from '../uplink/uplink-stats.ts'
import { httpError } from '../../shared/error-codes.ts'
import { createOnError, notFound } from '../../shared/on-error.ts'
import { createAgentMetrics } from './agent-metrics.ts'
import type { ApiLogger } from './api-logger.ts'
import { createAuthFailureLimiter } from './auth-failure-limiter.ts'
import type { AuthFailureLimiter } from './auth-failure-limiter.ts'
import { freshSnapshot } from './fresh-snapshot.ts'
import { gpuMemoryBody } from './gpu-memory-body.ts'
import { gpuStatusBody } from './gpu-status-body.ts'
import { createStatusTextCache } from './status-text-cache.ts'
import { healthzBody } from './healthz-body.ts'
import type { OperatorAuth } from './operator-auth.ts'
import { parsePurgeBody } from './purge-body.ts'
import { requireBearerToken } from './require-bearer-token.ts'
import { requireOperator } from './require-operator.ts'
import type { OperatorEnv } from './require-operator.ts'

export interface AgentAppDeps {
  source: GpuSource
  purge: PurgeService
  auth: OperatorAuth
  uplinkStats: () => UplinkStats
  hostname: string
  /** Newest snapshot older than this is stale: refused by status/memory, withheld from /metrics. */
  staleAfterMs: number
  /** When set, /metrics requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | undefined
  now?: () => number
  /** The collector's monotonic clock (ms), which snapshots' `monotonicAt` is stamped on. */
  monotonicNow?: () => number
  log: ApiLogger
  /** For gpufleet_agent_info. */
  version?: string
  /** Brake on repeated invalid operator keys; default 10 failures then 1 per 6 s per address; null turns it off. */
  authLimiter?: AuthFailureLimiter | null
  /** Peer address for the limiter (default: the socket's remote address). */
  clientAddress?: (c: Context) => string
  /** prom-client process metrics on /metrics (default true). */
  processMetrics?: boolean
  /** Xid errors from the kernel log (status, /metrics, /healthz); absent when not read. */
  xids?: XidWatch | undefined
  /** The GPU processes attributed to executed jobs, for /metrics (agent/jobs); absent: no process series. */
  processes?: (() => readonly GpuProcess[] | null) | undefined
}

/** Seed 004 asks for a small `{force}` object; anything near this size is not one. */
export const PURGE_BODY_LIMIT_BYTES = 16 * 1024

/**
 * The agent's local HTTP API as a Hono app, built apart from listening: main passes it to
 * `serve()`, tests call `app.request()`.
 */
export function createAgentApp (deps: AgentAppDeps): Hono<OperatorEnv> {
  validate(deps)
  const { source, purge, hostname, staleAfterMs, log } = deps
  const now = deps.now ?? Date.now
  const xids = deps.xids
  const xidLookup = xids === undefined ? undefined : (gpu: { pciBusId: string | null }) => xids.forBusId(gpu.pciBusId)
  const monotonicNow = deps.monotonicNow ?? (() => performance.now())
  const metrics = createAgentMetrics({
    source,
    uplinkStats: deps.uplinkStats,
    hostname,
    staleAfterMs,
    now,
    monotonicNow,
    ...(deps.version === undefined ? {} : { version: deps.version }),
    ...(deps.processMetrics === undefined ? {} : { processMetrics: deps.processMetrics }),
    xids: deps.xids,
    processes: deps.processes,
  })
  const limiter = deps.authLimiter === undefined ? createAuthFailureLimiter({ now }) : deps.authLimiter

  const app = new Hono<OperatorEnv>()
  app.onError(createOnError(log))
  app.notFound(notFound)

  app.get('/healthz', c => c.json(healthzBody({ source, uplinkStats: deps.uplinkStats(), nowMs: now(), monotonicNowMs: monotonicNow(), staleAfterMs, hostname, xids: deps.xids })))

  if (deps.metricsToken !== undefined) app.use('/metrics', requireBearerToken(deps.metricsToken))
  app.get('/metrics', async c => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType }))

  app.use('/v1/gpu/*', requireOperator({
    auth: deps.auth,
    limiter,
    ...(deps.clientAddress === undefined ? {} : { clientAddress: deps.clientAddress }),
  }))
  app.use('/v1/gpu/*', async (c, next) => {
    // Live, per-node, operator-only data: no cache between the operator and the agent may keep it.
    // Set before the handler, so it is part of the response c.json builds: set afterwards it
    // makes Hono rebuild the response and @hono/node-server take its slow path (~0.1 ms a request).
    c.header('Cache-Control', 'no-store')
    await next()
  })

  const statusText = createStatusTextCache()
  app.get('/v1/gpu/status', c => {
    const { snapshot, ageMs } = freshSnapshot(source, now(), staleAfterMs, monotonicNow())
    const apps = source.computeApps()
    const mig = source.migReading?.() ?? null
    const text = statusText([snapshot, apps, mig, xids?.status().events], ageMs,
      age => gpuStatusBody(snapshot, apps, { hostname, ageMs: age, xidFor: xidLookup, mig }))
    return c.body(text, 200, { 'Content-Type': 'application/json' })
  })

  app.get('/v1/gpu/memory', c => {
    const { snapshot, ageMs } = freshSnapshot(source, now(), staleAfterMs, monotonicNow())
    return c.json(gpuMemoryBody(snapshot, { hostname, ageMs }))
  })

  app.post('/v1/gpu/purge',
    bodyLimit({
      maxSize: PURGE_BODY_LIMIT_BYTES,
      onError: () => {
        throw httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${PURGE_BODY_LIMIT_BYTES / 1024} KiB; a purge request is {"force": true|false}`)
      },
    }),
    async c => {
      const { force } = parsePurgeBody(await c.req.text(), c.req.header('content-type'))
      const operator = c.get('operator')
      log.info({ force, key_id: operator.keyId, auth_via: operator.via }, 'purge requested')
      const result = await purge.purge({ force })
      log.info({ force, memory_freed_gb: result.memory_freed_gb, models_unloaded: result.models_unloaded, errors: result.errors.length }, 'purge finished')
      return c.json(result)
    })

  return app
}

function validate (deps: AgentAppDeps): void {
  const where = 'createAgentApp'
  if (typeof deps?.source?.latest !== 'function') throw new TypeError(`${where}: source must be a GpuSource`)
  if (typeof deps.purge?.purge !== 'function') throw new TypeError(`${where}: purge must be a PurgeService`)
  if (typeof deps.auth?.check !== 'function') throw new TypeError(`${where}: auth must be an OperatorAuth`)
  if (typeof deps.uplinkStats !== 'function') throw new TypeError(`${where}: uplinkStats must be a function returning UplinkStats`)
  if (typeof deps.hostname !== 'string' || deps.hostname === '') throw new TypeError(`${where}: hostname must be a non-empty string`)
  if (!Number.isInteger(deps.staleAfterMs) || deps.staleAfterMs <= 0) {
    throw new TypeError(`${where}: staleAfterMs must be a positive integer (ms), got ${String(deps.staleAfterMs)}`)
  }
  if (typeof deps.log?.error !== 'function') throw new TypeError(`${where}: log must be a logger (pino)`)
}
