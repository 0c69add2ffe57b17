import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Assignment } from '../../shared/wire/job-execution.ts'
import { buildJobLaunch, DEFAULT_JOB_PATH } from './build-job-launch.ts'
import type { JobRecord } from './open-job-state.ts'
import { readProcStat } from './read-proc.ts'
import { resolveJobUser } from './resolve-job-user.ts'

export interface LaunchContext {
  jobsDir: string
  jobUser: string | undefined
  agentUid: number
  systemd: boolean
  /** systemd-run expands $VARS in a scope's argv (v254+): pass --expand-environment=no. */
  systemdExpands: boolean
  passwdPath: string
  procRoot: string
}

export interface Launched {
  child: ChildProcess
  /** Undefined: spawn itself failed; its 'error' event says why. */
  record: JobRecord | undefined
}

/**
 * Starts one assignment, or throws an Error whose message is the LAUNCH_FAILED reason (job
 * user, workdir, argv[0]). Synchronous up to spawn, so two converges can't start a job twice.
 * The log and the exit-status file are opened here (as the agent) and handed down as
 * descriptors: the job user needs no access to the state directory.
 */
export function launchJob (a: Assignment, c: LaunchContext): Launched {
  if (a.command.length === 0 || a.command[0] === '') throw new Error('the job has an empty command')
  const user = resolveJobUser(c.jobUser, { passwd: readFileSync(c.passwdPath, 'utf8'), agentUid: c.agentUid })
  if (a.workdir !== null && !isDirectory(a.workdir)) throw new Error(`workdir ${JSON.stringify(a.workdir)} does not exist or is not a directory`)
  const cwd = a.workdir ?? (isDirectory(user.home) ? user.home : '/')
  const argv0 = a.command[0] as string
  if (findExecutable(argv0, cwd) === null) throw new Error(`command ${JSON.stringify(argv0)} not found${argv0.includes('/') ? '' : ` in PATH (${DEFAULT_JOB_PATH})`} or not executable`)

  const launch = buildJobLaunch({ assignment: a, user, cwd, systemd: c.systemd, systemdExpands: c.systemdExpands, switchUser: c.agentUid === 0 })
  const log = join(c.jobsDir, `${a.job_id}-${a.run}.log`)
  const exitFile = join(c.jobsDir, `${a.job_id}-${a.run}.exit`)
  const logFd = openSync(log, 'a', 0o640)
  const exitFd = openSync(exitFile, 'w', 0o600)
  let child: ChildProcess
  try {
    child = spawn(launch.file, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      // Its own session and process group: signals reach the whole job, and it outlives the agent.
      detached: true,
      stdio: ['ignore', logFd, logFd, exitFd],
      ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid } : {}),
    })
  } finally {
    closeSync(logFd)
    closeSync(exitFd)
  }
  child.unref()
  if (child.pid === undefined) return { child, record: undefined }
  const pid = child.pid
  return {
    child,
    record: {
      job_id: a.job_id,
      run: a.run,
      pid,
      pgid: pid,
      sid: pid,
      start_time: readProcStat(pid, c.procRoot)?.startTime ?? null,
      log,
      exit_file: exitFile,
      unit: launch.unit,
      gpu_uuids: [...a.gpu_uuids],
      gpu_indices: [...a.gpu_indices],
      started_at: a.started_at,
      time_limit_min: a.time_limit_min,
      stop_reason: null,
      term_at: null,
      exited: false,
      session_gone: false,
      rotated_bytes: 0,
      log_offset: 0,
      log_skipped: 0,
      log_done: false,
    },
  }
}

function isDirectory (path: string): boolean {
  try { return statSync(path).isDirectory() } catch { return false }
}

/** argv[0] as the job's shell will find it: a path (relative to cwd), else searched in the default PATH. */
function findExecutable (argv0: string, cwd: string): string | null {
  const candidates = argv0.includes('/') ? [resolve(cwd, argv0)] : DEFAULT_JOB_PATH.split(':').map(dir => join(dir, argv0))
  for (const path of candidates) {
    try {
      const s = statSync(path)
      if (s.isFile() && (s.mode & 0o111) !== 0) return path
    } catch {}
  }
  return null
}
