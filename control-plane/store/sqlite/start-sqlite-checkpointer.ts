import { createSlotLoop } from '../../../shared/create-slot-loop.ts'
import { realTimers as realLoopTimers, type Timers as LoopTimers } from '../../../shared/timers.ts'
import type { CheckpointResult } from './open-checkpoint-worker.ts'

export interface SqliteCheckpointerOptions {
  /** One PASSIVE checkpoint (openCheckpointWorker's, off the event loop). */
  checkpoint: () => Promise<CheckpointResult>
  /** How often; each run copies what the commits since the last one wrote. */
  everyMs?: number
  now?: () => number
  timers?: LoopTimers
  onResult?: (result: CheckpointResult) => void
  log?: { warn: (obj: object, msg: string) => void }
}

export interface SqliteCheckpointer {
  /** Cancels the next run and waits for a running one. */
  stop: () => Promise<void>
}

/**
 * Keeps the WAL checkpointed from outside the writer. With SQLite's default autocheckpoint,
 * the commit that grows the WAL past 1,000 pages (a few times a second at full ingest) copies
 * them into the database and fsyncs it before it returns, on the event loop, and every
 * request in its group commit waits. Checkpointing every `everyMs` on another connection
 * (PASSIVE: no locks waited for) leaves the writer's own autocheckpoint, raised to a bound on
 * the WAL's size, with next to nothing left to copy. A failed run is logged and retried at
 * the next slot; the writer's bound keeps the WAL finite even if this never runs.
 */
export function startSqliteCheckpointer (options: SqliteCheckpointerOptions): SqliteCheckpointer {
  const { checkpoint, everyMs = 100, now = Date.now, timers = realLoopTimers, onResult = () => {}, log } = options
  if (!Number.isInteger(everyMs) || everyMs < 1) throw new TypeError(`startSqliteCheckpointer: everyMs must be a positive integer, got ${everyMs}`)
  const loop = createSlotLoop({
    everyMs,
    now,
    timers,
    pass: async () => onResult(await checkpoint()),
    onError: err => log?.warn({ err: { message: (err as Error).message } }, 'sqlite checkpoint failed'),
  })
  loop.start()
  return { stop: () => loop.stop() }
}
