/**
 * Executed jobs' logs (issue 15): the bytes an agent uploads for a job's run, kept per job up
 * to a byte budget. Offsets are absolute byte positions in the run's log; when retention drops
 * the oldest pieces, `dropped` says how long the missing head is, so offsets never shift.
 */

export interface LogAppend {
  jobId: number
  /** The job's run (its started_at in epoch ms, shared/wire/job-execution.ts). */
  run: number
  /** Where `bytes` starts in the run's log. */
  offset: number
  bytes: Uint8Array
  at: number
}

export type LogAppendResult =
  /** `held`: bytes held for the run now (the next offset); a replayed prefix was skipped. */
  | { ok: true, held: number }
  /** `offset` is past what is held: bytes in between are missing; resend from `held`. */
  | { ok: false, held: number }

export interface LogRead {
  run: number
  /** The run's head dropped by retention (bytes). */
  dropped: number
  /** Every byte received for the run (the log's end offset). */
  held: number
  /** The bytes from `from` (or `dropped`, whichever is later) to `held`. */
  from: number
  bytes: Buffer
}

export interface JobLogRepository {
  /**
   * One transaction per job: appends `bytes` when `offset` equals what is held, skips the part
   * already held when it is below (an upload replayed after a lost answer), refuses one past it.
   * Then drops the job's oldest whole pieces (oldest run first) while more than `retainBytes`
   * are kept, never the newest piece.
   */
  append: (input: LogAppend, retainBytes: number) => Promise<LogAppendResult>
  /** The newest run with a log (null: none). */
  latestRun: (jobId: number) => Promise<number | null>
  /** The run's retained bytes from `from` (default: all); null when the run has no log. */
  read: (jobId: number, run: number, from?: number) => Promise<LogRead | null>
}
