import type { SlurmRepository } from '../store/slurm-repository.ts'
import { parseSlurmJobs } from './parse-slurm-jobs.ts'
import { SlurmImportError } from './slurm-import-error.ts'
import type { SlurmSource } from './slurm-source.ts'

export interface SlurmImportOptions {
  repo: SlurmRepository
  source: SlurmSource
  now: () => number
  /** How far back the very first import reaches. */
  backfillMs: number
  /** Each import re-reads this much before the last one's end (jobs that ended meanwhile, clock skew). */
  overlapMs?: number
}

export interface SlurmImportResult {
  since: number
  until: number
  /** Jobs and steps Slurm listed (after keeping the latest run of a requeued job). */
  seen: number
  written: number
  /** Records already final in the store: not written again. */
  kept: number
  skipped: string[]
}

/**
 * One import: asks Slurm for the jobs active since the last import's end (less an overlap; the
 * first import reaches back `backfillMs`), upserts them by (cluster, job id, step) and moves the
 * cursor. Idempotent: a repeated window rewrites only rows Slurm may still change. Running jobs
 * are active after any cursor, so Slurm lists them again until they end. A failure records the
 * attempt and its reason (the data already imported stays as it is) and rethrows.
 */
export async function importSlurmJobs (options: SlurmImportOptions): Promise<SlurmImportResult> {
  const { repo, source, now, backfillMs, overlapMs = 5 * 60_000 } = options
  const at = now()
  try {
    const state = await repo.getImportState(source.name)
    const since = state?.cursorAt == null ? at - backfillMs : Math.min(state.cursorAt, at) - overlapMs
    const text = await source.jobsJson(since, at)
    const { records, skipped, errors } = parseSlurmJobs(text, at)
    if (errors.length > 0 && records.length === 0) throw new SlurmImportError('SLURM_BAD_ANSWER', `Slurm answered errors: ${errors.join('; ').slice(0, 500)}`)
    const { written, kept } = await repo.upsertJobs(records)
    await repo.recordSuccess(source.name, at, at, written)
    return { since, until: at, seen: records.length, written, kept, skipped }
  } catch (err) {
    const code = err instanceof SlurmImportError ? err.code : 'SLURM_IMPORT_FAILED'
    await repo.recordAttempt(source.name, at, `${code}: ${(err as Error).message}`.slice(0, 1000)).catch(() => {})
    throw err
  }
}
