/**
 * The two servers bench/ingest.ts can measure, each on 127.0.0.1:0 with a real SQLite file:
 * - telemetry: the telemetry router alone on @hono/node-server, with bench stand-ins for
 *   auth (a constant bearer key) and node lookup (an in-memory hostname → node map), so the
 *   figures are telemetry's own (parse, validate, group commit, rollups, latest);
 * - full: the whole control plane as `gpufleet control-plane` runs it (startControlPlane +
 *   productParts): app-level body limit and JSON guard, API-key auth against the store
 *   (a superadmin key, which passes the ingest scope), the fleet registry's resolveNode and
 *   onIngested (node seen, live GPU readings), the liveness loop.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import pino from 'pino'
import { Registry } from 'prom-client'
import { openStore } from '../control-plane/store/open-store.ts'
import { createCheckpointMetrics } from '../control-plane/http/create-checkpoint-metrics.ts'
import type { TelemetryRepository } from '../control-plane/store/telemetry-repository.ts'
import { createTelemetryRouter } from '../control-plane/telemetry/create-telemetry-router.ts'
import type { ResolvedNode } from '../control-plane/telemetry/ingest-types.ts'
import type { RequireScope } from '../control-plane/http/cp-env.ts'
import { parseControlPlaneConfig } from '../control-plane/config.ts'
import { startControlPlane } from '../control-plane/start-control-plane.ts'
import { productParts } from '../control-plane/product-parts.ts'
import { HttpError } from '../shared/http-error.ts'
import { createOnError } from '../shared/on-error.ts'
import { inMemoryResolveNode } from '../test/helpers/in-memory-resolve-node.ts'

export interface BenchServer {
  url: string
  key: string
  telemetry: TelemetryRepository
  registry: Registry
  describe: string
  close: () => Promise<void>
}

const log = { warn: (o: object, m: string) => console.error('warn', m, o), error: (o: object, m: string) => console.error('error', m, o) }

export async function startTelemetryOnly (dbPath: string, commitWindowMs: number, checkpoint: 'thread' | 'inline' = 'thread', parseWorkers?: number): Promise<BenchServer> {
  const registry = new Registry()
  const store = await openStore(dbPath, { checkpoint, log, onCheckpoint: createCheckpointMetrics(registry) })
  const key = randomBytes(24).toString('hex')
  const requireScope: RequireScope = () => async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${key}`) throw new HttpError(401, 'UNAUTHORIZED', 'bench key required')
    c.set('principal', { keyId: 1, scopes: ['ingest'], tenantId: null, via: 'api-key' })
    await next()
  }
  const resolveNode = inMemoryResolveNode()
  const app = new Hono()
  app.onError(createOnError(log))
  app.route('/', createTelemetryRouter({
    store, requireScope, now: Date.now, log, resolveNode, metrics: registry, options: { commitWindowMs, ...(parseWorkers === undefined ? {} : { parseWorkers }) },
  }))
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise<void>(resolve => server.once('listening', () => resolve()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    key,
    telemetry: store.telemetry,
    registry,
    describe: `telemetry router alone; auth = bench bearer check, resolveNode = in-memory map; WAL checkpoints ${checkpoint === 'thread' ? 'on the store\'s checkpoint thread' : 'inline (SQLite default)'}; parse workers ${parseWorkers ?? 'default (os.availableParallelism())'}`,
    async close () {
      await new Promise(resolve => server.close(resolve))
      await store.close()
    },
  }
}

export async function startFullControlPlane (dbPath: string): Promise<BenchServer> {
  const key = `gfk_${randomBytes(32).toString('base64url')}`
  const registry = new Registry()
  const parts = productParts()
  const cp = await startControlPlane(parseControlPlaneConfig({ db: dbPath, listen: '127.0.0.1:0', adminKey: key, logLevel: 'warn' }), {
    log: pino({ level: 'warn' }),
    routers: parts.routers,
    loops: parts.loops,
    registry,
  })
  return {
    url: cp.url,
    key,
    telemetry: cp.store.telemetry,
    registry,
    describe: 'full control plane (startControlPlane + productParts): API-key auth, fleet resolveNode/onIngested, liveness loop',
    close: cp.close,
  }
}
