import { mkdirSync, readFileSync, renameSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { JobRunEvent } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'

/** Why the agent signalled a job: the control plane no longer lists it, or its time limit passed. */
export type StopReason = 'unassigned' | 'timeout'

/**
 * One job the agent started (or re-adopted), kept until the control plane has its exit event
 * and its whole log and no process of its session is left. `sid` = `pgid` = `pid`: the job's
 * leader (the exit-status wrapper) made its own session and process group.
 */
export interface JobRecord {
  job_id: number
  run: number
  pid: number
  pgid: number
  sid: number
  /** /proc/<pid>/stat field 22, so a reused pid is never taken for the job (null: unread). */
  start_time: number | null
  log: string
  exit_file: string
  unit: string | null
  gpu_uuids: string[]
  gpu_indices: number[]
  started_at: string
  time_limit_min: number | null
  stop_reason: StopReason | null
  /** When the agent sent SIGTERM (epoch ms); SIGKILL follows after the grace. */
  term_at: number | null
  /** The leader has exited and the exit event is queued. */
  exited: boolean
  /** No process of the session is left: its GPUs are free for the next job. */
  session_gone: boolean
  /** Log bytes moved to `<log>.1` by rotation (and dropped from the file) since the start. */
  rotated_bytes: number
  /** Bytes of the log the control plane has (its acknowledged offset). */
  log_offset: number
  /** Bytes rotated away before they were uploaded: the control plane's offset runs behind ours by this much. */
  log_skipped: number
  log_done: boolean
}

export interface OutboxEntry {
  job_id: number
  event: JobRunEvent
}

export interface JobState {
  jobs: JobRecord[]
  /** Run events not yet acknowledged, oldest first: they survive an agent restart. */
  outbox: OutboxEntry[]
  /** `job_id:run` of runs this agent started, newest last: never started twice. */
  finished: string[]
}

export interface JobStateStore {
  readonly dir: string
  data: () => JobState
  /** Atomic write (temp file, fsync, rename) of the current data; calls coalesce. */
  save: () => Promise<void>
}

export const JOB_STATE_FILE = 'jobs.json'
const FINISHED_KEEP = 2000

export const runKey = (jobId: number, run: number): string => `${jobId}:${run}`

/** `<stateDir>/jobs/jobs.json`: read at start (sync, before any job starts); a corrupt file is set aside. */
export function openJobState (stateDir: string, log?: Pick<Logger, 'warn'>): JobStateStore {
  const dir = join(stateDir, 'jobs')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, JOB_STATE_FILE)
  let data: JobState = { jobs: [], outbox: [], finished: [] }
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<JobState>
    data = { jobs: parsed.jobs ?? [], outbox: parsed.outbox ?? [], finished: parsed.finished ?? [] }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      const aside = `${file}.corrupt-${Date.now()}`
      try { renameSync(file, aside) } catch {}
      log?.warn({ err: String(err), movedTo: aside }, 'job state file unreadable; set aside (running jobs from before cannot be re-adopted)')
    }
  }

  let writing: Promise<void> | null = null
  let again = false
  async function write (): Promise<void> {
    if (data.finished.length > FINISHED_KEEP) data.finished.splice(0, data.finished.length - FINISHED_KEEP)
    const tmp = `${file}.tmp`
    const handle = await open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(JSON.stringify(data))
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  }

  return {
    dir,
    data: () => data,
    save () {
      // One write at a time; a save asked for during a write runs once more after it, with the latest data.
      if (writing !== null) { again = true; return writing }
      writing = (async () => {
        try {
          do { again = false; await write() } while (again)
        } finally {
          writing = null
        }
      })()
      return writing
    },
  }
}
