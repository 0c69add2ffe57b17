import type { Handler } from 'hono'
import type { IngestNode } from '../../shared/wire/gpu-stats.ts'
import { HttpError } from '../../shared/http-error.ts'
import { httpError } from '../../shared/error-codes.ts'
import type { CpEnv } from '../http/cp-env.ts'
import { IngestQueueFullError, type IngestQueue } from './create-ingest-queue.ts'
import type { IngestMetrics } from './create-ingest-metrics.ts'
import type { ResolvedNode, TelemetryLogger } from './ingest-types.ts'
import { ParseQueueFullError } from './create-parse-pool.ts'
import type { ParseWindow } from './parse-gpu-stats-body.ts'
import type { IngestParseOutcome, PackedGpuStats } from './packed-gpu-stats.ts'
import { packedSampleBatch } from '../store/packed-samples.ts'
import type { SampleJson } from './render-gpu-stat.ts'
import type { StoredGpuSample } from '../store/telemetry-repository.ts'
import type { TelemetryTimers } from './telemetry-timers.ts'
import type { GpuStatRowMig } from '../../shared/wire/gpu-stats.ts'

/**
 * A newly stored sample as the fleet hears of it (the readings it keeps per GPU, seed 000's
 * names), with the row's MIG fields where it had them. Built per push on the event loop:
 * only what the fleet reads, not the whole stored row.
 */
export type IngestedReading = Pick<SampleJson, 'gpu_id' | 'name' | 'uuid' | 'utilization_pct' | 'memory_used_mb' | 'memory_total_mb' | 'temp_c' | 'power_draw_w'> & GpuStatRowMig

function ingestedReading (s: StoredGpuSample): IngestedReading {
  return {
    gpu_id: s.gpuId,
    name: s.name,
    uuid: s.uuid,
    utilization_pct: s.utilizationPct,
    memory_used_mb: s.memoryUsedMb,
    memory_total_mb: s.memoryTotalMb,
    temp_c: s.tempC,
    power_draw_w: s.powerDrawW,
  }
}

export interface IngestHandlerDeps {
  now: () => number
  log: TelemetryLogger
  resolveNode: (node: IngestNode | undefined, boundClusterId: number | null) => Promise<ResolvedNode>
  onIngested?: ((nodeId: number, readings: IngestedReading[], at: number) => void | Promise<void>) | undefined
  queue: IngestQueue
  /** Raw body → verdict (create-parse-pool.ts: on a worker thread); rejects when it could not parse now (503, retry). */
  parse: (bytes: Uint8Array, window: ParseWindow) => Promise<IngestParseOutcome>
  metrics: IngestMetrics
  timers: TelemetryTimers
  /** Rows older than this (given the receive time) are skipped: retention already passed them. */
  oldestAccepted: (receivedAt: number) => number
  futureToleranceMs: number
  /** Sent as `revocation_epoch` in the acknowledgement; null or absent: left out. */
  revocationEpoch?: (() => Promise<number | null>) | undefined
}

/**
 * POST /api/gpu-stats after auth and the body limit: parse (400 for a bad envelope, rows
 * fail-soft), find the node, queue for the group commit and answer once it committed (503
 * if it did not: the agent keeps the rows in its spool and retries). The fleet hears about
 * the new rows after the answer is on its way.
 */
export function createIngestHandler (deps: IngestHandlerDeps): Handler<CpEnv> {
  const { now, log, resolveNode, onIngested, queue, metrics, timers } = deps

  function notify (nodeId: number, result: Awaited<ReturnType<IngestQueue['submit']>>, migRows: PackedGpuStats['mig']): void {
    if (onIngested === undefined || result.newest.length === 0) return
    const newest = result.newest
    timers.setImmediate(() => {
      const mig = new Map(migRows)
      let at = -Infinity
      const readings = newest.map((s): IngestedReading => {
        if (s.recordedAt > at) at = s.recordedAt
        const m = mig.get(s.gpuId)
        if (m === undefined || m.recordedAt !== s.recordedAt) return ingestedReading(s)
        return { ...ingestedReading(s), mig_mode: m.mig_mode, mig_instances: m.mig_instances }
      })
      Promise.resolve()
        .then(() => onIngested(nodeId, readings, at))
        .catch((err: unknown) => log.warn({ err: { message: (err as Error).message }, nodeId }, 'telemetry onIngested failed'))
    })
  }

  return async function ingestGpuStats (c) {
    const receivedAt = now()
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await c.req.arrayBuffer())
    } catch (err) {
      if (err instanceof HttpError) throw err
      metrics.request('rejected')
      throw httpError('INVALID_JSON', 'request body is not valid JSON')
    }
    let outcome: IngestParseOutcome
    try {
      outcome = await deps.parse(bytes, { receivedAt, oldestMs: deps.oldestAccepted(receivedAt), newestMs: receivedAt + deps.futureToleranceMs })
    } catch (err) {
      metrics.request('failed')
      // Backpressure is the designed answer under overload: answered, not logged per request.
      if (err instanceof ParseQueueFullError) throw httpError('STORE_UNAVAILABLE', 'samples not stored (ingest parse queue full); retry')
      log.warn({ err: { message: (err as Error).message } }, 'telemetry ingest: parsing the body failed')
      throw httpError('STORE_UNAVAILABLE', 'samples not stored (the body could not be parsed now); retry')
    }
    if (!outcome.ok) {
      metrics.request('rejected')
      throw new HttpError(outcome.status, outcome.code, outcome.message, outcome.details)
    }
    // Handed on packed: the store builds an object per row only where it needs one (not on
    // SQLite's writer-thread path, where rows are unpacked on that thread).
    const parsed = outcome.packed
    let who: ResolvedNode
    try {
      // A cluster-bound agent key pushes for its own cluster's nodes only (resolveNode refuses others).
      who = await resolveNode(parsed.node, c.var.principal?.clusterId ?? null)
    } catch (err) {
      if (err instanceof HttpError) {
        metrics.request('rejected')
        throw err
      }
      log.error({ err: { message: (err as Error).message } }, 'telemetry ingest: resolving the node failed')
      metrics.request('failed')
      throw httpError('STORE_UNAVAILABLE', 'samples not stored (node lookup failed); retry')
    }
    let accepted = 0
    let duplicates = 0
    if (parsed.count > 0) {
      let result
      try {
        result = await queue.submit(packedSampleBatch({
          nodeId: who.nodeId,
          clusterId: who.clusterId,
          hostname: who.hostname ?? parsed.node?.hostname ?? null,
          cluster: parsed.node?.cluster ?? null,
          region: parsed.node?.region ?? null,
        }, { count: parsed.count, numbers: parsed.numbers, strings: parsed.strings }))
      } catch (err) {
        metrics.request('failed')
        if (err instanceof IngestQueueFullError) throw httpError('STORE_UNAVAILABLE', 'samples not stored (ingest queue full); retry')
        log.error({ err: { message: (err as Error).message }, nodeId: who.nodeId }, 'telemetry ingest: commit failed')
        throw httpError('STORE_UNAVAILABLE', 'samples not stored (commit failed); retry')
      }
      accepted = result.inserted
      duplicates = result.duplicates
      notify(who.nodeId, result, parsed.mig)
    }
    metrics.request('ok')
    metrics.rows({ accepted, skipped: parsed.skipped, duplicates })
    // The agents' 1 Hz push doubles as the revocation channel (a cached read, never an error).
    const epoch = deps.revocationEpoch === undefined ? null : await deps.revocationEpoch()
    return c.json({ ok: true as const, accepted, duplicates, skipped: parsed.skipped, ...(epoch === null ? {} : { revocation_epoch: epoch }) }, 200)
  }
}
