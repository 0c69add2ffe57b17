import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Assignment } from '../../../shared/wire/job-execution.ts'
import type { Logger } from '../../../shared/logger.ts'
import { sessionPids } from '../../../agent/jobs/read-proc.ts'
export { until } from '../uplink/until.ts'

/**
 * Whether a process of session `sid` has exec'd `command` (its /proc comm): the job's own
 * command running, not only its wrapper or the wrapper's fork before the exec. A SIGTERM to the
 * group before then is caught by the wrapper's trap (inherited by the fork until it execs) and
 * the job ends only by SIGKILL after the kill grace (seen at load 8–12).
 */
export function commandRuns (sid: number, command: string): boolean {
  return sessionPids(sid).some(pid => {
    try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === command } catch { return false }
  })
}

/** Root runs jobs as `nobody` (never as root); a non-root CI user can only run them as itself. */
export const JOB_USER = process.getuid?.() === 0 ? 'nobody' : userInfo().username

export const UUIDS = ['GPU-11111111-2222-3333-4444-555555555555', 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee']

export function assignment (over: Partial<Assignment> & { job_id: number, command: string[] }): Assignment {
  return {
    run: 1_700_000_000_000 + over.job_id,
    env: {},
    workdir: null,
    gpu_uuids: UUIDS,
    gpu_indices: [0, 1],
    time_limit_min: null,
    started_at: new Date().toISOString(),
    ...over,
  }
}

/** A logger that keeps what was written (tests read it instead of spying). */
export function memoryLog (): Logger & { lines: Array<{ level: string, msg: string, obj: object }> } {
  const lines: Array<{ level: string, msg: string, obj: object }> = []
  const at = (level: string) => (obj: object, msg: string): void => { lines.push({ level, msg, obj }) }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

const dirs: string[] = []
t.teardown(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }) })

/**
 * A state directory removed when the whole file is done, not at each subtest's end (the
 * executor may still be writing its state file when a subtest's teardowns run). Readable by
 * the job user, as a job's own files in a test are.
 */
export function stateDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpufleet-jobs-'))
  chmodSync(dir, 0o755)
  dirs.push(dir)
  return dir
}
