/**
 * GPU telemetry storage (seed 000), async so SQLite and PostgreSQL serve the same interface.
 * Times are UTC epoch milliseconds; the HTTP layer renders ISO 8601.
 *
 * Three kinds of data, each with its own retention:
 * - raw samples, one per (node, gpu_id, recorded_at), kept 7 days (seed 000);
 * - the latest sample per GPU, upserted only when newer (a late replay never regresses it);
 * - rollups per scope (node, cluster, whole fleet) and UTC-aligned span (1, 5 and, above a
 *   node, 60 minutes), maintained in the same transaction as the raw rows, kept ≥ 90 days.
 */

import type { GpuSampleReadings } from '../../shared/gpu-fields.ts'

/**
 * One GPU reading as stored: which GPU and when, then one reading per stored metric of
 * shared/gpu-fields.ts, null when the GPU did not report it.
 */
export interface GpuSample extends GpuSampleReadings {
  gpuId: number
  recordedAt: number
  name: string
  uuid: string | null
  pciBusId: string | null
}

export interface StoredGpuSample extends GpuSample {
  id: number
}

/** One request's worth of samples from one node (the unit the group commit acknowledges). */
export interface SampleBatch {
  nodeId: number
  /** Null for a node outside any cluster: it rolls up to its node and the fleet only. */
  clusterId: number | null
  hostname: string | null
  /** The agent's cluster and region names where it sent them (labels in VictoriaMetrics; the SQL store keeps ids). */
  cluster?: string | null
  region?: string | null
  samples: GpuSample[]
  /**
   * The same samples in a parse worker's packed form (store/packed-samples.ts), when the batch
   * came from one: `samples` is then unpacked only when read, and an engine that can take the
   * packed form (SQLite's telemetry writer thread) never builds an object per row here.
   */
  packed?: PackedSamples
}

/** Samples as one Float64Array and one array of strings (layout: store/packed-samples.ts). */
export interface PackedSamples {
  count: number
  /**
   * Per sample: gpuId, recordedAt, the readings in shared/gpu-fields.ts order (NaN: null), then
   * its name, uuid and pciBusId as indexes into `strings`.
   */
  numbers: Float64Array
  /** The batch's distinct strings. */
  strings: Array<string | null>
}

export interface SampleBatchResult {
  /** Rows newly stored. */
  inserted: number
  /** Rows already stored for (node, gpu_id, recorded_at), or repeated within the batch: ignored. */
  duplicates: number
  /** The newest newly stored sample per GPU, ordered by gpuId (empty when nothing was new). */
  newest: StoredGpuSample[]
}

export interface LatestGpuSample extends StoredGpuSample {
  nodeId: number
  clusterId: number | null
  hostname: string | null
}

export interface LatestFilter {
  nodeId?: number
  clusterId?: number
  hostname?: string
}

export type TelemetryScope =
  | { kind: 'fleet' }
  | { kind: 'cluster', clusterId: number }
  | { kind: 'node', nodeId: number }

/**
 * Group rollup minutes in [fromMs, toMs) into wall-clock buckets of `bucketMinutes` that start
 * at local midnight under a fixed UTC offset (the caller splits a time-zone range at its
 * offset changes). fromMs and toMs are whole minutes.
 */
export interface PowerBucketQuery {
  scope: TelemetryScope
  fromMs: number
  toMs: number
  offsetMinutes: number
  bucketMinutes: number
}

export interface PowerBucket {
  /** Bucket start as local wall time expressed in ms since the epoch (i.e. UTC fields = local fields). */
  wallMs: number
  /**
   * MAX over the bucket of the power in scope, per seed 000 per recorded_at: a node's sum of
   * power_draw_w over its GPUs at each tick; a cluster's or the fleet's, per second, the sum of
   * each node's latest tick in that second (never two ticks of one node).
   */
  powerDrawW: number
}

/** One minute of one scope, for dashboards (avg/max utilization, avg temperature, ...). */
export interface MinuteRollup {
  minuteAt: number
  /** Max power in scope (as PowerBucket.powerDrawW); null when no sample reported power. */
  powerMaxW: number | null
  /** Mean of the individual power readings (per GPU sample). */
  powerAvgW: number | null
  utilizationAvgPct: number | null
  utilizationMaxPct: number | null
  tempAvgC: number | null
  samples: number
}

export interface PruneRequest {
  /** Raw samples (and per-second sums) recorded before this are deleted. */
  rawBefore: number
  /** Rollups starting before this are deleted. */
  rollupBefore: number
  /**
   * At most this many rows deleted per table per call, so a write never stalls behind it;
   * compressed blocks (whole ones only, wholly before rawBefore) go limit / 100 at a time.
   */
  limit: number
}

export interface PruneResult {
  deleted: number
  /** True when a table hit the limit: call again (soon) to finish. */
  more: boolean
}

export interface CompactRequest {
  /** Raw rows recorded before this (rounded down to a block) move into compressed blocks. */
  before: number
  /** About this many raw rows moved per call, one write transaction on SQLite (a node's span is the unit). */
  limit: number
  /**
   * Also: a node's rows only from spans that end by its newest row minus this (the retention
   * loop passes --telemetry-compact-after), so an agent whose clock lags keeps its recent rows
   * raw rather than thawing and re-sealing its blocks on every push. Absent: `before` alone.
   */
  afterMs?: number
}

export interface CompactResult {
  /** Raw rows moved into blocks. */
  moved: number
  /** True when settled rows are left: call again (soon) to finish. */
  more: boolean
}

/** One GPU's readings at one time (its raw row without the identity strings). */
export type GpuReadingsAt = GpuSampleReadings & { recordedAt: number }

export interface TelemetryRepository {
  /**
   * Stores every batch in ONE transaction (the group commit): resolves after it commits,
   * rejects (nothing stored) if it fails. Idempotent per (node, gpu_id, recorded_at).
   * Updates the latest table and the rollups of the node, its cluster and the fleet.
   */
  insertSamples: (batches: readonly SampleBatch[]) => Promise<SampleBatchResult[]>
  /** Latest sample per GPU, ordered by node id then gpu_id. */
  latest: (filter?: LatestFilter) => Promise<LatestGpuSample[]>
  /** Power-history buckets, ordered by wallMs; buckets without a power reading are absent. */
  powerBuckets: (query: PowerBucketQuery) => Promise<PowerBucket[]>
  /** Minute rollups of one scope in [fromMs, toMs), ordered by minute. */
  minuteRollups: (scope: TelemetryScope, fromMs: number, toMs: number) => Promise<MinuteRollup[]>
  /** One bounded retention step. */
  prune: (request: PruneRequest) => Promise<PruneResult>
  /** Raw samples stored (optionally for one node and/or recorded in [fromMs, toMs)). */
  countSamples: (filter?: { nodeId?: number, fromMs?: number, toMs?: number }) => Promise<number>
  /**
   * Recomputes every rollup for the minutes in [fromMs, toMs) from the raw samples (repair,
   * backfill, bulk loads). Minutes whose raw samples were pruned are left as they are.
   */
  rebuildRollups: (fromMs: number, toMs: number) => Promise<void>
  /**
   * One bounded compaction step: settled raw rows and per-second sums move into compressed
   * blocks (store/gpu-block-codec.ts); every read above answers as before. Rows a GPU's latest
   * names stay raw until a newer one replaces them.
   */
  compact: (request: CompactRequest) => Promise<CompactResult>
  /** One GPU's raw rows recorded in [fromMs, toMs), raw and compacted alike, by recordedAt. */
  gpuHistory: (nodeId: number, gpuId: number, fromMs: number, toMs: number) => Promise<GpuReadingsAt[]>
}

/**
 * Rollups are kept at these spans (minutes), each aligned to UTC; queries use the coarsest
 * that nests in their buckets. Nodes skip the hour span: it would cost every push a third
 * row write, while 30 days of a node at 5 minutes is only 8,640 rows to read.
 */
export function rollupSpans (kind: TelemetryScope['kind']): readonly number[] {
  return kind === 'node' ? NODE_SPANS : WIDE_SPANS
}
const NODE_SPANS = [1, 5] as const
const WIDE_SPANS = [1, 5, 60] as const
