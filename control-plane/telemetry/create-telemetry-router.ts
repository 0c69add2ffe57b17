import { createRoute, z } from '@hono/zod-openapi'
import type { Registry } from 'prom-client'
import { GPU_STATS_PATH, gpuStatRowSchema, gpuStatsIngestSchema, ingestNodeSchema, type IngestNode } from '../../shared/wire/gpu-stats.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import { tenantForbidden } from '../auth/tenant-policy.ts'
import type { TelemetryRepository, TelemetryScope } from '../store/telemetry-repository.ts'
import type { RequireScope } from '../http/cp-env.ts'
import { createRouter } from '../http/create-router.ts'
import { API_KEY_SECURITY } from '../http/api-key-security.ts'
import { errorResponses } from '../http/error-responses.ts'
import { createIngestHandler, type IngestedReading } from './create-ingest-handler.ts'
import type { ResolvedNode, TelemetryLogger } from './ingest-types.ts'
import { availableParallelism } from 'node:os'
import { createIngestQueue } from './create-ingest-queue.ts'
import { createParsePool, type ParsePool } from './create-parse-pool.ts'
import { createRetention } from './create-retention.ts'
import { withLateHistoryMarks } from './with-late-history-marks.ts'
import type { GpuHistoryRepository } from '../store/gpu-history-repository.ts'
import { HISTORY_LATE_AFTER_MS } from '../loops/create-gpu-history-loop.ts'
import { createIngestMetrics } from './create-ingest-metrics.ts'
import { createIngestBodyLimit } from './create-ingest-body-limit.ts'
import { queryPowerHistory } from './query-power-history.ts'
import { canonicalTimeZone } from '../../shared/zone-offset.ts'
import { latestJson } from './render-gpu-stat.ts'
import { realTelemetryTimers, type TelemetryTimers } from './telemetry-timers.ts'
import {
  gpuStatSchema, ingestResultSchema, latestQuerySchema, powerHistoryQuerySchema, powerHistorySchema,
} from '../../shared/wire/telemetry-schemas.ts'

/** A replaying agent's batch can be ~1 MiB; allow 4. Mount with this as the path's body limit too. */
export const GPU_STATS_BODY_LIMIT_BYTES = 4 * 1024 * 1024
export const POWER_HISTORY_PATH = `${GPU_STATS_PATH}/power-history`

export interface TelemetryOptions {
  /** Group commit: how long the first queued request waits for company (default 2 ms). */
  commitWindowMs?: number
  /** Group commit: commit at once with this many rows queued (default 4096). */
  commitMaxRows?: number
  /** Backpressure: past this many rows waiting for a commit, a push is answered 503 (default 64 × commitMaxRows). */
  commitMaxQueuedRows?: number
  /**
   * Worker threads that parse and validate ingest bodies; 0: on the event loop. Default: one
   * per core beside the event loop's (os.availableParallelism() − 1, at least 1): one more
   * only shares a core with the event loop, which bounds ingest, and costs its heap.
   */
  parseWorkers?: number
  rawRetentionMs?: number
  rollupRetentionMs?: number
  pruneEveryMs?: number
  pruneChunkRows?: number
  /** Raw rows older than this move into compressed blocks (default 70 min). */
  compactAfterMs?: number
  /** Rows stamped further ahead of the server clock than this are skipped (default 5 min). */
  futureToleranceMs?: number
}

export interface TelemetryRouterDeps {
  /** With gpuHistory, rows arriving late have their history buckets marked for a rebuild. */
  store: { telemetry: TelemetryRepository, gpuHistory?: GpuHistoryRepository | undefined }
  requireScope: RequireScope
  now: () => number
  log: TelemetryLogger
  /**
   * Who is pushing (the fleet registry's; seed bodies without `node` map to its default node).
   * `boundClusterId`: the caller's key is bound to that cluster and may push for its nodes only
   * (an HttpError 403 refuses, nothing is written).
   */
  resolveNode: (node: IngestNode | undefined, boundClusterId: number | null) => Promise<ResolvedNode>
  /**
   * After a commit, off the ack path: `readings` are the newest newly stored row per GPU
   * (seed row shape), `at` the newest of their recorded_at (epoch ms; old for a replay).
   * Not called when nothing new was stored. Errors are logged, never answered.
   */
  onIngested?: (nodeId: number, readings: IngestedReading[], at: number) => void | Promise<void>
  /** Retention runs only on the replica that leads (the others would race it); default always. */
  isLeader?: () => boolean
  /** The /metrics registry for ingest counters; none, no metrics. */
  metrics?: Registry
  /**
   * The GPUs a tenant's running jobs hold now (`gpuIndex` is the agent's gpu_id): a tenant-bound
   * key reads only those (tenant-policy.ts). Without it such a key is refused.
   */
  tenantGpus?: (tenantId: number) => Promise<ReadonlyArray<{ nodeId: number, gpuIndex: number }>>
  options?: TelemetryOptions
  timers?: TelemetryTimers
  /** The revocation epoch for every push acknowledgement (agents drop cached key verdicts when it changes). */
  revocationEpoch?: (() => Promise<number | null>) | undefined
  /**
   * Aborted when the server starts to stop: the parse workers finish the bodies they hold and
   * end (pushes still arriving parse on the event loop). Without it they end with the process.
   */
  closing?: AbortSignal | undefined
  /** The parse workers (default: a pool of options.parseWorkers, closed on `closing`); tests pass their own. */
  parsePool?: ParsePool
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

/**
 * Seed 000 telemetry: POST /api/gpu-stats (agents, `ingest` scope), GET /api/gpu-stats (latest
 * per GPU) and GET /api/gpu-stats/power-history (`read`). Ingest is group-committed and
 * answers only after its rows' transaction commits; retention runs as part of writes.
 */
export function createTelemetryRouter (deps: TelemetryRouterDeps) {
  const { store, requireScope, now, log, resolveNode, onIngested, options = {}, timers = realTelemetryTimers, isLeader = () => true } = deps
  if (store?.telemetry === undefined) throw new TypeError('createTelemetryRouter: store.telemetry is required')
  if (typeof resolveNode !== 'function') throw new TypeError('createTelemetryRouter: resolveNode is required')
  const metrics = createIngestMetrics(deps.metrics)
  const retention = createRetention({
    store: store.telemetry,
    now,
    log,
    ...(options.rawRetentionMs === undefined ? {} : { rawRetentionMs: options.rawRetentionMs }),
    ...(options.rollupRetentionMs === undefined ? {} : { rollupRetentionMs: options.rollupRetentionMs }),
    ...(options.pruneEveryMs === undefined ? {} : { everyMs: options.pruneEveryMs }),
    ...(options.pruneChunkRows === undefined ? {} : { chunkRows: options.pruneChunkRows }),
    ...(options.compactAfterMs === undefined ? {} : { compactAfterMs: options.compactAfterMs }),
  })
  const queue = createIngestQueue({
    store: store.gpuHistory === undefined ? store.telemetry : withLateHistoryMarks(store.telemetry, store.gpuHistory, now, HISTORY_LATE_AFTER_MS),
    timers,
    ...(options.commitWindowMs === undefined ? {} : { windowMs: options.commitWindowMs }),
    ...(options.commitMaxRows === undefined ? {} : { maxRows: options.commitMaxRows }),
    ...(options.commitMaxQueuedRows === undefined ? {} : { maxQueuedRows: options.commitMaxQueuedRows }),
    onCommit (info) {
      metrics.commit(info)
      // After the acks just resolved have been written out.
      if (info.ok && isLeader()) timers.setImmediate(() => { void retention.afterWrite() })
    },
  })

  const parsePool = deps.parsePool ?? createParsePool({ size: options.parseWorkers ?? Math.max(1, availableParallelism() - 1), log })
  deps.closing?.addEventListener('abort', () => { void parsePool.close() }, { once: true })

  const app = createRouter()

  // Documented from the shared wire schemas, handled by hand below: the seed fixes its own
  // error codes (400 GPUS_REQUIRED) and rows are validated one by one (fail-soft).
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: GPU_STATS_PATH,
    tags: ['Telemetry'],
    summary: 'Ingest GPU samples (seed 000): fail-soft per row, idempotent per (node, gpu_id, recorded_at)',
    security: API_KEY_SECURITY,
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: gpuStatsIngestSchema.extend({ node: ingestNodeSchema.optional(), gpus: z.array(gpuStatRowSchema) }) } },
      },
    },
    responses: {
      200: json(ingestResultSchema, 'Committed (also when some rows were skipped)'),
      ...errorResponses(400, 401, 403, 413, 415, 503),
    },
  })
  app.post(GPU_STATS_PATH, requireScope('ingest'), createIngestBodyLimit(GPU_STATS_BODY_LIMIT_BYTES), createIngestHandler({
    now, log, resolveNode, onIngested, queue, metrics, timers,
    parse: parsePool.parse,
    revocationEpoch: deps.revocationEpoch,
    oldestAccepted: retention.oldestAccepted,
    futureToleranceMs: options.futureToleranceMs ?? 5 * 60_000,
  }))

  app.openapi(createRoute({
    method: 'get',
    path: GPU_STATS_PATH,
    tags: ['Telemetry'],
    summary: 'Latest sample per GPU (seed 000), ordered by node then gpu_id',
    security: API_KEY_SECURITY,
    middleware: [requireScope('read')] as const,
    request: { query: latestQuerySchema },
    responses: { 200: json(z.array(gpuStatSchema), 'Latest sample per GPU'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const tenantId = c.get('principal')?.tenantId ?? null
    if (tenantId !== null && deps.tenantGpus === undefined) throw tenantForbidden('read GPU telemetry here')
    const [rows, held] = await Promise.all([
      store.telemetry.latest({
        ...(q.node_id === undefined ? {} : { nodeId: Number(q.node_id) }),
        ...(q.cluster_id === undefined ? {} : { clusterId: Number(q.cluster_id) }),
        ...(q.hostname === undefined ? {} : { hostname: q.hostname }),
      }),
      tenantId === null ? null : deps.tenantGpus?.(tenantId),
    ])
    // A tenant sees the GPUs its running jobs hold, nothing else (not even that others exist).
    const mine = held == null ? null : new Set(held.map(g => `${g.nodeId}:${g.gpuIndex}`))
    const visible = mine === null ? rows : rows.filter(r => mine.has(`${r.nodeId}:${r.gpuId}`))
    return c.json(visible.map(latestJson), 200)
  })

  app.openapi(createRoute({
    method: 'get',
    path: POWER_HISTORY_PATH,
    tags: ['Telemetry'],
    summary: 'Bucketed power draw (seed 000): per bucket the MAX of the per-second sum over every GPU in scope',
    security: API_KEY_SECURITY,
    middleware: [requireScope('read')] as const,
    request: { query: powerHistoryQuerySchema },
    responses: { 200: json(powerHistorySchema, 'Power history'), ...errorResponses(400, 401, 403) },
  }), async c => {
    const q = c.req.valid('query')
    const days = q.days === undefined ? 7 : Number(q.days)
    const bucketMinutes = q.bucket_minutes === undefined ? 5 : Number(q.bucket_minutes)
    const tz = q.tz ?? 'UTC'
    const zone = canonicalTimeZone(tz)
    if (zone === null) {
      throw httpError('VALIDATION_FAILED', `tz: unknown time zone "${tz.slice(0, 64)}" (use an IANA name such as Europe/Berlin)`,
        { issues: [{ path: 'tz', message: 'unknown time zone' }] })
    }
    if (q.node_id !== undefined && q.cluster_id !== undefined) {
      throw httpError('VALIDATION_FAILED', 'give node_id or cluster_id, not both',
        { issues: [{ path: 'node_id', message: 'conflicts with cluster_id' }] })
    }
    const nodeId = q.node_id === undefined ? null : Number(q.node_id)
    const clusterId = q.cluster_id === undefined ? null : Number(q.cluster_id)
    const scope: TelemetryScope = nodeId !== null
      ? { kind: 'node', nodeId }
      : clusterId !== null ? { kind: 'cluster', clusterId } : { kind: 'fleet' }
    const points = await queryPowerHistory(store.telemetry, { scope, days, bucketMinutes, timeZone: zone, now: now() })
    return c.json({ days, bucket_minutes: bucketMinutes, tz, node_id: nodeId, cluster_id: clusterId, points }, 200)
  })

  return app
}
