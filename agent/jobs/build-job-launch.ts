import type { Assignment } from '../../shared/wire/job-execution.ts'
import type { JobUser } from './resolve-job-user.ts'

/** The PATH a job gets (the contract refuses PATH overrides): Debian's default for a login shell, sbin included. */
export const DEFAULT_JOB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * The shell wrapper every job runs under, with the job's argv as "$@". It records the job's
 * exit status on fd 3 (a file the agent opened in its state directory: the job user needs no
 * write access there), so an agent that restarts and re-adopts the job (it cannot waitpid a
 * process that is not its child) still learns how it ended. Status 129–192 is 128 + a signal
 * number (the shell's convention); the wrapper then ends itself by that signal, so a waiting
 * agent sees the signal too. The trap is a handler, not '' (an ignored signal would be
 * inherited by the job): the SIGTERM sent to the whole group reaches the job, and the wrapper
 * lives on to write its status. Core dumps are off for the re-raise only (the job is over).
 * A stop that lands after the trap is set but before the job's command runs reaches nothing of
 * the job: the executor sends the command its SIGTERM once it runs (create-executor.ts).
 * Known limit: a job that itself exits 129–192 reads as ended by that signal.
 */
export const EXIT_STATUS_WRAPPER = 'trap : TERM INT HUP; "$@" 3>&-; s=$?; echo "$s" >&3; if [ "$s" -gt 128 ] && [ "$s" -lt 193 ]; then trap - TERM INT HUP; ulimit -c 0; kill -$((s - 128)) $$; fi; exit "$s"'

export interface JobLaunchInput {
  assignment: Assignment
  user: JobUser
  /** The working directory already chosen: workdir, else the user's home, else /. */
  cwd: string
  /** systemd is PID 1 and the agent is root: run in a transient scope with only the job's GPUs. */
  systemd: boolean
  /** The agent runs as root: switch to the job user (node's spawn uid/gid, or systemd-run's). */
  switchUser: boolean
  /**
   * systemd-run ≥ 254 expands $VARS in a scope's command line itself; the wrapper's "$@" and $?
   * (and any $ in the job's argv) must reach the shell as written: --expand-environment=no.
   */
  systemdExpands?: boolean
  shell?: string
  systemdRun?: string
}

export interface JobLaunch {
  file: string
  args: string[]
  env: Record<string, string>
  cwd: string
  /** For spawn: set only when node itself switches user (no systemd-run). */
  uid?: number
  gid?: number
  /** The transient scope's unit name, when there is one. */
  unit: string | null
}

/** Variables the job can't set itself: the agent owns which GPUs a job sees, and its PATH. */
const RESERVED_ENV = new Set(['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'PATH'])

/**
 * How to start one assignment: pure, so the systemd-run form is tested without systemd.
 * The environment is built from nothing (the agent's own, its API key included, never leaks):
 * a login's basics, the job's env, then the GPU selection, which the job cannot override.
 */
export function buildJobLaunch (input: JobLaunchInput): JobLaunch {
  const { assignment: a, user } = input
  const env: Record<string, string> = { HOME: user.home, USER: user.name, LOGNAME: user.name, SHELL: user.shell || '/bin/sh', PATH: DEFAULT_JOB_PATH }
  for (const [k, v] of Object.entries(a.env)) if (!RESERVED_ENV.has(k)) env[k] = v
  env.GPUFLEET_JOB_ID = String(a.job_id)
  env.GPUFLEET_JOB_RUN = String(a.run)
  env.CUDA_VISIBLE_DEVICES = a.gpu_uuids.join(',')
  env.NVIDIA_VISIBLE_DEVICES = a.gpu_uuids.join(',')
  const shell = input.shell ?? '/bin/sh'
  const wrapped = [shell, '-c', EXIT_STATUS_WRAPPER, `gpufleet-job-${a.job_id}`, ...a.command]
  if (!input.systemd) {
    const [file, ...args] = wrapped as [string, ...string[]]
    return { file, args, env, cwd: input.cwd, unit: null, ...(input.switchUser ? { uid: user.uid, gid: user.gid } : {}) }
  }
  const unit = jobUnitName(a.job_id, a.run)
  const devices = [...a.gpu_indices.map(i => `/dev/nvidia${i}`), '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools']
  // --scope: systemd-run execs the command itself (same pid, our stdio and cwd), in a scope
  // unit of its own: cgroup accounting, a clean kill, and only this job's GPU device nodes.
  const args = [
    '--scope', '--quiet', '--collect', ...(input.systemdExpands === true ? ['--expand-environment=no'] : []), '--unit', unit,
    '--property', 'DevicePolicy=closed',
    ...devices.flatMap(d => ['--property', `DeviceAllow=${d} rw`]),
    ...(input.switchUser ? ['--uid', String(user.uid), '--gid', String(user.gid)] : []),
    '--', ...wrapped,
  ]
  return { file: input.systemdRun ?? 'systemd-run', args, env, cwd: input.cwd, unit }
}

export function jobUnitName (jobId: number, run: number): string {
  return `gpufleet-job-${jobId}-${run}`
}

/** systemd-run's version from `systemd-run --version` ("systemd 255 (255.4-1ubuntu8)"); null if unreadable. */
export function parseSystemdVersion (text: string): number | null {
  const m = /^systemd (\d+)/m.exec(text)
  return m === null ? null : Number(m[1])
}

/** From this release on, systemd-run --scope expands $VARS in the command line (and takes --expand-environment=). */
export const SYSTEMD_SCOPE_EXPANDS_FROM = 254
