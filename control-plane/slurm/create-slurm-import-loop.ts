import { createSlotLoop } from '../../shared/create-slot-loop.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import type { SlurmRepository } from '../store/slurm-repository.ts'
import { importSlurmJobs, type SlurmImportResult } from './import-slurm-jobs.ts'
import type { SlurmSource } from './slurm-source.ts'

export interface SlurmImportLoopOptions {
  repo: SlurmRepository
  source: SlurmSource
  now: () => number
  log: { info: (o: object, m: string) => void, warn: (o: object, m: string) => void }
  /** --slurm-interval. */
  everyMs: number
  backfillMs?: number
  timers?: Timers
}

export interface SlurmImportLoop {
  /** Imports once at once (a restarted leader catches up without waiting a slot), then on every slot. */
  start: () => Promise<void>
  stop: () => Promise<void>
  /** One import (what the timer runs). */
  importOnce: () => Promise<SlurmImportResult>
}

export const SLURM_BACKFILL_MS = 30 * 86_400_000

/** The leader's Slurm import, on wall-clock slots of `everyMs`; a failed import is logged and retried on the next slot. */
export function createSlurmImportLoop (options: SlurmImportLoopOptions): SlurmImportLoop {
  const { repo, source, now, log, everyMs, backfillMs = SLURM_BACKFILL_MS, timers = realTimers } = options
  if (!Number.isFinite(everyMs) || everyMs <= 0) throw new TypeError(`createSlurmImportLoop: everyMs must be > 0, got ${everyMs}`)
  let failing = false
  const importOnce = async (): Promise<SlurmImportResult> => {
    const r = await importSlurmJobs({ repo, source, now, backfillMs })
    if (failing || r.written > 0 || r.skipped.length > 0) {
      log.info({ source: source.name, seen: r.seen, written: r.written, skipped: r.skipped.slice(0, 20) }, 'slurm accounting imported')
    }
    failing = false
    return r
  }
  const onError = (err: unknown): void => {
    // Logged at warn once per outage, then at info: an unreachable Slurm must not flood the log.
    const entry = { source: source.name, code: (err as { code?: string }).code ?? null, err: (err as Error).message }
    if (failing) log.info(entry, 'slurm import still failing')
    else log.warn(entry, 'slurm import failed; the last imported data is served with its age')
    failing = true
  }
  const loop = createSlotLoop({ everyMs, now, timers, pass: importOnce, onError })
  let first: Promise<unknown> | null = null
  return {
    async start () {
      first = importOnce().catch(onError)
      loop.start()
    },
    async stop () {
      await loop.stop()
      if (first !== null) await first
    },
    importOnce,
  }
}
