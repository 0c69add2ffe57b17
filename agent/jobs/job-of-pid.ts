import { readSessionId } from './read-session-id.ts'

/** An executed job as the agent knows it: the job and its current run (job-execution.ts). */
export interface JobRun {
  job_id: number
  run: number
}

/** Whose job a process is; null: no executed job's. */
export type JobOfPid = (pid: number) => JobRun | null

/**
 * A JobOfPid over sessions: the executor knows its jobs by session id (each job is the leader
 * of its own session), and `sessionOf` reads a process's session (from /proc by default).
 */
export function jobOfPidBySession (jobOfSession: (sessionId: number) => JobRun | null, sessionOf: (pid: number) => number | null = readSessionId): JobOfPid {
  return pid => {
    const session = sessionOf(pid)
    return session === null || session === 0 ? null : jobOfSession(session)
  }
}
