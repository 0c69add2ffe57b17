/**
 * Slurm accounting as imported from a real Slurm (slurmrestd's slurmdb jobs, or `sacct --json`):
 * one row per (Slurm cluster, job id, step), the job's allocation itself being step ''. A job
 * imported while running and again after it ended is the same row, updated: counts and
 * GPU-hours never see it twice. Times are UTC epoch milliseconds (Slurm's are whole seconds).
 */
export interface SlurmJobRecord {
  cluster: string
  jobId: number
  /** '' for the job's allocation; a step's id otherwise ('batch', 'extern', '0', …). */
  step: string
  name: string
  user: string | null
  account: string | null
  partition: string | null
  /** Slurm's state name (COMPLETED, RUNNING, CANCELLED, FAILED, TIMEOUT, PENDING, …). */
  state: string
  submittedAt: number | null
  startedAt: number | null
  endedAt: number | null
  /** Allocated TRES gres/gpu (0 when none). */
  gpus: number
  /** Slurm has finished with it: its numbers no longer change. */
  final: boolean
  /** When this import saw it (a running job's GPU time is counted up to here). */
  observedAt: number
}

export interface SlurmImportState {
  /** Import source ('sacct' or the REST URL without credentials). */
  source: string
  /** The next import asks Slurm for jobs active since here (earlier ones are final). */
  cursorAt: number | null
  lastAttemptAt: number | null
  lastSuccessAt: number | null
  lastError: string | null
  /** Rows written by the last successful import. */
  lastImported: number
}

export interface SlurmJobQuery {
  /** Jobs whose [start|submit, end|observed) meets [since, until). */
  since: number
  until: number
}

export interface SlurmUpsertResult {
  /** Rows inserted or updated. */
  written: number
  /** Records not written: the store already holds the final version of that job or step. */
  kept: number
}

export interface SlurmRepository {
  /** Inserts or updates each record by (cluster, jobId, step); a final row is never replaced by a non-final one. */
  upsertJobs: (records: readonly SlurmJobRecord[]) => Promise<SlurmUpsertResult>
  /** The job allocations (step '') that touch the window, ordered by (cluster, jobId). */
  listJobs: (q: SlurmJobQuery) => Promise<SlurmJobRecord[]>
  /** Steps of one job (tests and diagnostics). */
  listSteps: (cluster: string, jobId: number) => Promise<SlurmJobRecord[]>
  /** The earliest start (else submit) of a job allocation not final yet; null when none. */
  oldestOpenJob: () => Promise<number | null>
  getImportState: (source: string) => Promise<SlurmImportState | null>
  /** The most recent state across sources (what the page shows). */
  latestImportState: () => Promise<SlurmImportState | null>
  recordAttempt: (source: string, at: number, error: string | null) => Promise<void>
  recordSuccess: (source: string, at: number, cursorAt: number, imported: number) => Promise<void>
}
