/**
 * Per-GPU history (issue 17): utilization, temperature, memory used and power of each GPU in
 * UTC-aligned 5-minute and 1-hour buckets, kept as long as the other rollups, and 1-minute
 * buckets of the last ~2 hours. Unlike gpu_rollup
 * these are not written by ingest: the leader's history loop builds them from raw rows of
 * settled minutes (control-plane/loops/create-gpu-history-loop.ts), so a push costs nothing.
 */

/** The 5-minute buckets the loop builds from raw rows; hours are built from those. */
export const HISTORY_BUCKET_MS = 5 * 60_000
export const HISTORY_HOUR_MS = 60 * 60_000
/** Stored spans in minutes: 1-minute buckets are kept ~2 hours (the 1 h range), the others as long as rollups. */
export type HistorySpan = 1 | 5 | 60

/**
 * One GPU over one bucket, as sums and counts (averages are sum / n), so buckets merge
 * exactly: an hour from its 5-minute buckets, a chart step from hours, a raw tail into a rollup.
 */
export interface GpuHistoryBucket {
  gpuId: number
  bucketAt: number
  samples: number
  utilSum: number
  utilN: number
  utilMax: number | null
  tempSum: number
  tempN: number
  tempMax: number | null
  memSum: number
  memN: number
  memMax: number | null
  memTotal: number | null
  powerSum: number
  powerN: number
  powerMax: number | null
}

export interface GpuHistoryQuery {
  nodeId: number
  /** One GPU (its index, gpu_stats.gpu_id); absent: every GPU of the node. */
  gpuId?: number | undefined
  fromMs: number
  toMs: number
}

export interface DirtyBucket {
  nodeId: number
  /** A 5-minute bucket start. */
  bucketAt: number
}

/** How far the 1-minute buckets go (see advanceMinutes). */
export interface MinuteMarks {
  /** Raw rows before this are in the minutes; later rows into them mark their 5-minute bucket dirty. */
  settledAt: number
  /** Minutes before this are written (those from settledAt on are provisional: re-read next pass). */
  builtAt: number
}

export interface GpuHistoryRepository {
  /** Raw rows recorded before this are in the history (null: the loop never ran). */
  watermark: () => Promise<number | null>
  /** null: the loop never built minutes. */
  minuteMarks: () => Promise<MinuteMarks | null>
  /**
   * Builds the 1-minute buckets in [fromMs, toMs) (minute-aligned) from raw rows, the one time
   * range of raw rows the loop reads, and stores the marks (settledAt ≤ toMs). Returns the GPU minutes written.
   */
  advanceMinutes: (fromMs: number, toMs: number, settledAt: number) => Promise<number>
  /**
   * Builds the 5-minute buckets in [fromMs, toMs) (both 5-minute aligned) from the 1-minute
   * buckets (advanceMinutes must have settled toMs), the hours they fall in from those, and
   * moves the watermark to toMs. Returns the GPU buckets written.
   */
  advance: (fromMs: number, toMs: number) => Promise<number>
  /** Marks buckets that got rows after (or while) they were built: the loop rebuilds them. */
  markDirty: (buckets: readonly DirtyBucket[]) => Promise<void>
  /** Rebuilds up to `limit` dirty buckets (their minutes from raw rows, then the bucket and its hour); returns how many. */
  rebuildDirty: (limit: number) => Promise<number>
  /** Stored buckets of one span in [fromMs, toMs), ordered by gpu then time. */
  buckets: (q: GpuHistoryQuery & { span: HistorySpan }) => Promise<GpuHistoryBucket[]>
  /**
   * Buckets of `stepMs` (UTC-aligned) computed from one node's raw rows in [fromMs, toMs)
   * (the API reads stored buckets instead; a time range of every node's rows on SQLite). Keep the range within the
   * last ~70 minutes: older raw rows may be compacted into blocks (see the loop).
   */
  rawBuckets: (q: GpuHistoryQuery & { stepMs: number }) => Promise<GpuHistoryBucket[]>
  /**
   * Where set (telemetry in VictoriaMetrics: every sample of the retention is queryable at any
   * step), the API reads a range's buckets of its chart step through this alone, in place of
   * the stored spans, minute marks and newest readings.
   */
  stepBuckets?: ((q: GpuHistoryQuery & { stepMs: number }) => Promise<GpuHistoryBucket[]>) | undefined
  /**
   * The newest reading of each GPU of the node (gpu_stats_latest) if recorded in [fromMs, toMs)
   * and not in a stored minute before `builtTo` (those are read from storage; one that arrived
   * after its minute was built is in none until the next pass), as a 1-minute bucket. A key
   * lookup per GPU, where raw rows of the minutes since the loop's last pass would be a time
   * range of every node's rows on SQLite's time-led key. Keep fromMs within the last hour: a
   * minute older than ~2 hours is pruned, though its 5-minute bucket holds the reading.
   */
  newest: (q: GpuHistoryQuery & { builtTo: number }) => Promise<GpuHistoryBucket[]>
  /** The GPU indexes with history for the node (any span), ascending. */
  gpuIds: (nodeId: number) => Promise<number[]>
  /** Deletes up to `limit` buckets starting before `before`; more: call again. */
  prune: (before: number, limit: number) => Promise<{ deleted: number, more: boolean }>
  /** Deletes up to `limit` 1-minute buckets starting before `before`. */
  pruneMinutes: (before: number, limit: number) => Promise<{ deleted: number, more: boolean }>
}
