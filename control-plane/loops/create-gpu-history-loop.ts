import type { GpuHistoryRepository } from '../store/gpu-history-repository.ts'
import { HISTORY_BUCKET_MS } from '../store/gpu-history-repository.ts'
import { createSlotLoop } from '../../shared/create-slot-loop.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'

const MINUTE = 60_000
const DAY = 86_400_000

/**
 * How far back the loop reads raw rows (the API reads none). Raw rows older than ~70
 * minutes may be compacted into blocks (compressed raw storage, a separate change): this loop
 * only reads gpu_stats rows younger than that. After downtime longer than this, the minutes
 * in between are skipped (logged), not read from blocks.
 */
export const HISTORY_LOOKBACK_MS = 60 * MINUTE
/** A minute is settled once this old: agents push at 1 Hz, so its rows are in. */
export const HISTORY_SETTLE_MS = 2 * MINUTE
/**
 * Ingest marks a row's bucket dirty when the row is older than this at commit. Half the settle
 * time: a row younger than that cannot have been passed by the watermark (which stays
 * HISTORY_SETTLE_MS behind the leader's clock), with a minute to spare for clock skew
 * between replicas.
 */
export const HISTORY_LATE_AFTER_MS = HISTORY_SETTLE_MS / 2
/** 1-minute buckets are kept this long: the 1 h range and the minutes since the last 5-minute bucket. */
export const HISTORY_MINUTES_KEPT_MS = 120 * MINUTE

export interface GpuHistoryLoopOptions {
  store: { gpuHistory: GpuHistoryRepository }
  now: () => number
  timers?: Timers | undefined
  log?: { warn: (o: object, m: string) => void, info?: (o: object, m: string) => void } | undefined
  everyMs?: number | undefined
  settleMs?: number | undefined
  lookbackMs?: number | undefined
  /** History buckets older than this are deleted (as long as the other rollups: 90 days). */
  retentionMs?: number | undefined
  /** Dirty buckets rebuilt per pass at most (the rest wait for the next). */
  dirtyPerPass?: number | undefined
  /** Buckets deleted per pass at most. */
  pruneChunk?: number | undefined
  /** 1-minute buckets older than this are deleted (default HISTORY_MINUTES_KEPT_MS; more than the lookback). */
  minutesKeptMs?: number | undefined
  /** 1-minute buckets deleted per pass at most (a GPU adds one a minute). */
  minutePruneChunk?: number | undefined
}

export interface GpuHistoryPass {
  /** Where the watermark moved from and to (equal: nothing new was settled). */
  from: number
  to: number
  written: number
  /** GPU minutes written: the new ones and the provisional ones re-read. */
  minutes: number
  dirtyRebuilt: number
  pruned: number
  minutesPruned: number
}

export interface GpuHistoryLoop {
  start: () => void
  stop: () => Promise<void>
  /** One pass, also what the timer runs. */
  tick: () => Promise<GpuHistoryPass>
}

const floorBucket = (t: number) => Math.floor(t / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS
const floorMinute = (t: number) => Math.floor(t / MINUTE) * MINUTE

/**
 * Per-GPU history, built off the ingest path (leader only, like the other loops): every
 * `everyMs` it aggregates the raw rows of the minutes since its minute mark up to the current
 * minute (a time range of gpu_stats' (recorded_at, node_id, gpu_id) key) into 1-minute
 * buckets, the settled 5-minute buckets past its watermark from those, rebuilds the buckets
 * ingest marked dirty (rows that arrived after their bucket was built: replays, other
 * replicas' late pushes), and deletes what is past retention. Minutes younger than
 * `settleMs` are provisional: the next pass reads them again, so the rows that were still
 * arriving reach them without a dirty mark.
 */
export function createGpuHistoryLoop (opts: GpuHistoryLoopOptions): GpuHistoryLoop {
  const {
    store, now, log, timers = realTimers, everyMs = MINUTE, settleMs = HISTORY_SETTLE_MS, lookbackMs = HISTORY_LOOKBACK_MS,
    retentionMs = 90 * DAY, dirtyPerPass = 500, pruneChunk = 5000, minutesKeptMs = HISTORY_MINUTES_KEPT_MS, minutePruneChunk = 50_000,
  } = opts
  for (const [name, v] of Object.entries({ everyMs, settleMs, lookbackMs, retentionMs, dirtyPerPass, pruneChunk, minutesKeptMs, minutePruneChunk })) {
    if (!Number.isFinite(v) || v <= 0) throw new TypeError(`createGpuHistoryLoop: ${name} must be > 0, got ${v}`)
  }
  // The 5-minute buckets are summed from minutes the lookback window may still rebuild.
  if (minutesKeptMs < lookbackMs + HISTORY_BUCKET_MS) throw new TypeError(`createGpuHistoryLoop: minutesKeptMs (${minutesKeptMs}) must exceed lookbackMs by 5 minutes`)
  const history = store.gpuHistory

  // From the last settled minute (later rows were re-read or marked dirty) to the current one.
  // settledAt ≥ the 5-minute watermark this pass sets, so advance() finds its minutes written.
  const advanceMinutes = async (t: number, oldest: number): Promise<number> => {
    const marks = await history.minuteMarks()
    const from = Math.max(marks?.settledAt ?? oldest, oldest)
    const to = floorMinute(t)
    if (to <= from) return 0
    return await history.advanceMinutes(from, to, Math.max(from, floorMinute(t - settleMs)))
  }

  const tick = async (): Promise<GpuHistoryPass> => {
    const t = now()
    const to = floorBucket(t - settleMs)
    const oldest = floorBucket(t - lookbackMs)
    const stored = await history.watermark()
    let from = stored ?? oldest
    if (from < oldest) {
      log?.warn({ watermarkAt: new Date(from).toISOString(), resumedAt: new Date(oldest).toISOString() },
        'GPU history: raw rows before the lookback window are not read; those minutes stay empty')
      from = oldest
    }
    // From the same 5-minute-aligned start: a bucket summed from minutes must have them all.
    const minutes = await advanceMinutes(t, oldest)
    let written = 0
    if (to > from) written = await history.advance(from, to)
    const dirtyRebuilt = await history.rebuildDirty(dirtyPerPass)
    const minutesPruned = (await history.pruneMinutes(floorMinute(t - minutesKeptMs), minutePruneChunk)).deleted
    const pruned = (await history.prune(Math.floor((t - retentionMs) / MINUTE) * MINUTE, pruneChunk)).deleted
    return { from, to: Math.max(from, to), written, minutes, dirtyRebuilt, pruned, minutesPruned }
  }

  const loop = createSlotLoop({
    everyMs,
    now,
    timers,
    pass: tick,
    onError: err => log?.warn({ err: String(err) }, 'GPU history pass failed'),
  })
  return { start: loop.start, stop: loop.stop, tick }
}
