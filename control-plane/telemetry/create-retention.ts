import type { PruneResult, TelemetryRepository } from '../store/telemetry-repository.ts'

const MINUTE = 60_000
const DAY = 86_400_000

export interface RetentionOptions {
  store: Pick<TelemetryRepository, 'prune'> & Partial<Pick<TelemetryRepository, 'compact'>>
  now: () => number
  /** Raw samples: 7 days (seed 000). */
  rawRetentionMs?: number
  /** Rollups: at least 90 days, so 30-day power history stays complete with room to spare. */
  rollupRetentionMs?: number
  /** Once caught up, prune at most this often. */
  everyMs?: number
  /** Rows per table per step; with more left, the next write takes the next step. */
  chunkRows?: number
  log?: { warn: (obj: object, msg: string) => void }
  /**
   * Raw rows older than this move into compressed blocks, one bounded step per prune step
   * (default 70 min: the 30- and 60-minute idle and KPI windows read raw rows only).
   */
  compactAfterMs?: number
}

export interface Retention {
  /** Called after each write: runs one bounded step when one is due, else returns null at once. */
  afterWrite: () => Promise<PruneResult | null>
  /** The oldest recorded_at ingest still accepts (older rows would land in pruned ground). */
  oldestAccepted: (now: number) => number
}

/**
 * Retention as part of writes, as seed 000 does it, but throttled: not one DELETE per
 * request, at most one bounded step per `everyMs` once caught up, and a step per write
 * while a backlog remains (e.g. after downtime), so no single write stalls behind a big
 * delete.
 */
export function createRetention (options: RetentionOptions): Retention {
  const {
    store, now, rawRetentionMs = 7 * DAY, rollupRetentionMs = 90 * DAY, everyMs = MINUTE, chunkRows = 5000, log,
    compactAfterMs = 70 * MINUTE,
  } = options
  if (!(compactAfterMs >= 0)) throw new TypeError(`createRetention: compactAfterMs must be ≥ 0, got ${compactAfterMs}`)
  if (!(rawRetentionMs >= MINUTE)) throw new TypeError(`createRetention: rawRetentionMs must be ≥ 1 minute, got ${rawRetentionMs}`)
  if (!(rollupRetentionMs >= rawRetentionMs)) {
    throw new TypeError(`createRetention: rollupRetentionMs (${rollupRetentionMs}) must be ≥ rawRetentionMs (${rawRetentionMs})`)
  }
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new TypeError(`createRetention: chunkRows must be a positive integer, got ${chunkRows}`)
  let nextAt = -Infinity
  let running = false

  return {
    oldestAccepted: t => t - rawRetentionMs,
    async afterWrite () {
      const t = now()
      if (running || t < nextAt) return null
      running = true
      try {
        // A minute short of the acceptance cutoff: every second ingest still accepts keeps all
        // its raw rows, so its per-second sums (and the rollup MAX) stay exact.
        const result = await store.prune({
          rawBefore: Math.floor((t - rawRetentionMs) / MINUTE) * MINUTE - MINUTE,
          rollupBefore: Math.floor((t - rollupRetentionMs) / MINUTE) * MINUTE,
          limit: chunkRows,
        })
        const compacted = store.compact === undefined ? null : await store.compact({ before: t - compactAfterMs, limit: chunkRows, afterMs: compactAfterMs })
        const more = result.more || compacted?.more === true
        nextAt = more ? t : t + everyMs
        return { deleted: result.deleted, more }
      } catch (err) {
        log?.warn({ err: { message: (err as Error).message } }, 'telemetry retention step failed')
        nextAt = t + everyMs
        return null
      } finally {
        running = false
      }
    },
  }
}
