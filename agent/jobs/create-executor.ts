import { execFile, execFileSync, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import type { Assignment, JobRunEvent } from '../../shared/wire/job-execution.ts'
import type { Logger } from '../../shared/logger.ts'
import { realTimers, type Timers } from '../../shared/timers.ts'
import { parseSystemdVersion, SYSTEMD_SCOPE_EXPANDS_FROM } from './build-job-launch.ts'
import { exitedEvent, launchFailedEvent, parseExitStatus, type JobOutcome } from './exited-event.ts'
import { rotateLogIfOver } from './job-log-file.ts'
import { launchJob, type LaunchContext } from './launch-job.ts'
import { openJobState, runKey, type JobRecord, type JobStateStore, type StopReason } from './open-job-state.ts'
import { isSameProcessAlive, readProcStat, sessionPids, sessionProcs, type JobProcStat } from './read-proc.ts'

export interface ExecutorOptions {
  stateDir: string
  hostname: string
  /** --job-user; unset: the agent's own user when it is not root (a root agent then refuses to start jobs). */
  jobUser?: string | undefined
  /** SIGTERM → SIGKILL (--job-kill-grace). */
  killGraceMs: number
  /** A job's log is rotated past this size (--job-log-max). */
  logMaxBytes: number
  log: Logger
  now?: () => number
  timers?: Timers
  /** The watch loop: exits of re-adopted jobs, time limits, SIGKILL after the grace, log rotation. */
  pollMs?: number
  procRoot?: string
  passwdPath?: string
  agentUid?: number
  /** Run jobs in systemd scopes; default: systemd is PID 1 and the agent is root. */
  systemd?: boolean
  /** A run event was queued in the outbox (the reporter sends it). */
  onEvent?: () => void
}

export interface Executor {
  /** Loads the state, re-adopts jobs still running, starts the watch loop. */
  start: () => void
  /** The control plane's assignment set for this node: start what is new, stop what left. */
  converge: (jobs: Assignment[]) => void
  /** The running job whose session `pid` belongs to (for GPU process attribution). */
  jobOfPid: (pid: number) => { job_id: number, run: number } | null
  /** Jobs whose processes may still run (leader alive, or its session not yet empty), with their GPUs. */
  running: () => Array<{ job_id: number, run: number, pid: number, gpu_uuids: string[] }>
  readonly store: JobStateStore
  /** Stops the loop; the jobs keep running (the next agent re-adopts them). */
  stop: () => Promise<void>
}

/**
 * The node's side of the kubelet model: converge on the assignment set, keep each job's
 * record (atomically written) so an agent restart re-adopts what still runs instead of
 * losing or restarting it, and report every start and exit through the outbox. A GPU is given
 * to a new job only once every process of the previous job's session on it is gone.
 */
export function createExecutor (o: ExecutorOptions): Executor {
  const now = o.now ?? Date.now
  const timers = o.timers ?? realTimers
  const pollMs = o.pollMs ?? 1000
  const procRoot = o.procRoot ?? '/proc'
  const agentUid = o.agentUid ?? process.getuid?.() ?? 0
  const store = openJobState(o.stateDir, o.log)
  const state = store.data
  const children = new Map<string, ChildProcess>()
  // Per job stopped while its wrapper may not have started the command yet: the wrapper's
  // children as the SIGTERM found them (all still the shell), and the wrapper's own comm.
  const starting = new Map<string, { wrapperComm: string, seen: Set<number> }>()
  const launching = new Set<string>()
  // Null until the first assignment set: a restarted agent stops nothing before it knows what is wanted.
  let desired: Assignment[] | null = null
  let timer: unknown = null
  let stopped = false
  const systemd = o.systemd ?? (agentUid === 0 && systemdIsInit(procRoot))
  const context: LaunchContext = {
    jobsDir: store.dir,
    jobUser: o.jobUser,
    agentUid,
    systemd,
    systemdExpands: systemd && (systemdRunVersion() ?? 0) >= SYSTEMD_SCOPE_EXPANDS_FROM,
    passwdPath: o.passwdPath ?? '/etc/passwd',
    procRoot,
  }

  const at = (): string => new Date(now()).toISOString()
  const save = (): void => { store.save().catch((err: unknown) => o.log.error({ err: String(err) }, 'could not write the job state file')) }
  const queue = (jobId: number, event: JobRunEvent): void => {
    state().outbox.push({ job_id: jobId, event })
    o.onEvent?.()
  }

  function gpusBusy (a: Assignment): boolean {
    return state().jobs.some(r => !r.session_gone && r.gpu_uuids.some(u => a.gpu_uuids.includes(u)))
  }

  function converge (jobs: Assignment[]): void {
    desired = jobs
    if (stopped) return
    const wanted = new Set(jobs.map(a => runKey(a.job_id, a.run)))
    let changed = false
    for (const r of state().jobs) {
      if (!r.exited && r.stop_reason === null && !wanted.has(runKey(r.job_id, r.run))) { terminate(r, 'unassigned'); changed = true }
    }
    const finished = new Set(state().finished)
    const known = new Set(state().jobs.map(r => runKey(r.job_id, r.run)))
    for (const a of jobs) {
      const key = runKey(a.job_id, a.run)
      // Never twice: running, starting, or ended here already (the set lists it until the control plane takes our exit event).
      if (known.has(key) || finished.has(key) || launching.has(key) || gpusBusy(a)) continue
      start(a)
      changed = true
    }
    if (changed) save()
  }

  function start (a: Assignment): void {
    const key = runKey(a.job_id, a.run)
    const base = { hostname: o.hostname, run: a.run }
    let launched: ReturnType<typeof launchJob>
    try {
      launched = launchJob(a, context)
    } catch (err) {
      return launchFailed(a, (err as Error).message)
    }
    const { child, record } = launched
    if (record === undefined) {
      launching.add(key)
      child.once('error', err => { launching.delete(key); if (!stopped) { launchFailed(a, `could not start: ${err.message}`); save() } })
      return
    }
    state().jobs.push(record)
    children.set(key, child)
    child.once('exit', (code, signal) => {
      children.delete(key)
      // Stopped: the state file belongs to the next agent now, which finds the exit itself.
      if (stopped) return
      const r = state().jobs.find(j => j.job_id === a.job_id && j.run === a.run)
      if (r === undefined || r.exited) return
      finish(r, signal !== null ? { kind: 'signal', signal } : { kind: 'exit', code: code ?? 0 })
      // A job waiting for these GPUs (assigned before this exit was known) starts now.
      if (desired !== null && r.session_gone) converge(desired)
      save()
    })
    queue(a.job_id, { event: 'started', ...base, pid: record.pid, at: at() })
    o.log.info({ job: a.job_id, run: a.run, pid: record.pid, gpus: a.gpu_uuids, unit: record.unit }, 'job started')
  }

  function launchFailed (a: Assignment, message: string): void {
    state().finished.push(runKey(a.job_id, a.run))
    queue(a.job_id, launchFailedEvent(message, { hostname: o.hostname, run: a.run, at: at() }))
    o.log.error({ job: a.job_id, run: a.run }, `job not started: ${message}`)
  }

  function finish (r: JobRecord, outcome: JobOutcome): void {
    r.exited = true
    state().finished.push(runKey(r.job_id, r.run))
    const event = exitedEvent(outcome, r.stop_reason, { hostname: o.hostname, run: r.run, at: at() })
    queue(r.job_id, event)
    o.log.info({ job: r.job_id, run: r.run, exitCode: event.exit_code, signal: event.signal, failure: event.failure }, 'job exited')
    // What it left behind in its session (a daemonized child) must not hold the GPUs for the next job.
    const left = sessionPids(r.sid, procRoot).length
    if (left > 0 && r.term_at === null) signal(r, 'SIGTERM')
    // An empty session frees its GPUs now, not at the next watch tick: the control plane's next
    // job on them may be in the set already (bench/jobs.ts: up to pollMs lost per job otherwise).
    if (left === 0) r.session_gone = true
  }

  function terminate (r: JobRecord, reason: StopReason): void {
    r.stop_reason = reason
    o.log.info({ job: r.job_id, run: r.run, pid: r.pid, reason }, 'stopping job: SIGTERM to its process group')
    signal(r, 'SIGTERM')
  }

  function signal (r: JobRecord, sig: 'SIGTERM' | 'SIGKILL'): void {
    const procs = sessionProcs(r.sid, procRoot)
    if (sig === 'SIGTERM') {
      r.term_at = now()
      if (!r.exited) noteStarting(r, procs)
    }
    if (r.pgid > 1) kill(-r.pgid, sig)
    // Processes that left the group but not the session are the job's too.
    for (const p of procs) kill(p.pid, sig)
    if (sig === 'SIGKILL' && r.unit !== null) execFile('systemctl', ['kill', '--signal=SIGKILL', `${r.unit}.scope`], () => {})
  }

  /**
   * The wrapper traps SIGTERM (to outlive the job and write its status), so a SIGTERM that
   * lands after its trap is set but before the job's command runs (not forked yet, or forked
   * and not yet exec'd: still the shell, with the shell's trap) reaches no part of the job,
   * and the command would run on until the SIGKILL after the grace. Remember the wrapper's
   * children as the signal found them; sendLateTerm gives the command its SIGTERM once it runs.
   */
  function noteStarting (r: JobRecord, procs: readonly JobProcStat[]): void {
    const wrapper = procs.find(p => p.pid === r.pid)
    if (wrapper === undefined) return
    const forks = procs.filter(p => p.ppid === r.pid)
    // The command was already running (a child that is no longer the shell): it got the signal.
    if (forks.some(p => p.comm !== wrapper.comm)) return
    const seen = new Set(forks.map(p => p.pid))
    starting.set(runKey(r.job_id, r.run), { wrapperComm: wrapper.comm, seen })
  }

  /** A wrapper child born after the SIGTERM, or exec'd since (its comm no longer the shell's), gets it once. */
  function sendLateTerm (r: JobRecord): void {
    const key = runKey(r.job_id, r.run)
    const s = starting.get(key)
    if (s === undefined) return
    if (r.exited || r.session_gone) {
      starting.delete(key)
      return
    }
    for (const p of sessionProcs(r.sid, procRoot)) {
      if (p.ppid !== r.pid) continue
      if (!s.seen.has(p.pid) || p.comm !== s.wrapperComm) {
        o.log.info({ job: r.job_id, run: r.run, pid: p.pid }, 'stopping job: SIGTERM to its command, started after the first one')
        kill(p.pid, 'SIGTERM')
        starting.delete(key)
        return
      }
    }
  }

  function watch (r: JobRecord): boolean {
    let changed = false
    if (r.term_at !== null) sendLateTerm(r)
    if (!r.exited && !children.has(runKey(r.job_id, r.run)) && !isSameProcessAlive(r.pid, r.start_time, procRoot)) {
      finish(r, readExitFile(r.exit_file))
      changed = true
    }
    if (!r.exited && r.stop_reason === null && r.time_limit_min !== null && now() >= Date.parse(r.started_at) + r.time_limit_min * 60_000) {
      terminate(r, 'timeout')
      changed = true
    }
    if (!r.session_gone && r.term_at !== null && now() - r.term_at >= o.killGraceMs) signal(r, 'SIGKILL')
    if (r.exited && !r.session_gone && sessionPids(r.sid, procRoot).length === 0) {
      r.session_gone = true
      changed = true
    }
    if (!r.session_gone || !r.exited) {
      const moved = rotateLogIfOver(r.log, o.logMaxBytes)
      if (moved > 0) { r.rotated_bytes += moved; changed = true }
    }
    return changed
  }

  /** Forgets a job once the control plane has its exit and its log: its files go too. */
  function prune (): boolean {
    const s = state()
    const done = s.jobs.filter(r => r.exited && r.session_gone && r.log_done && !s.outbox.some(e => e.job_id === r.job_id && e.event.run === r.run))
    if (done.length === 0) return false
    s.jobs = s.jobs.filter(r => !done.includes(r))
    for (const r of done) for (const f of [r.log, `${r.log}.1`, r.exit_file]) rmSync(f, { force: true })
    return true
  }

  function tick (): void {
    timer = null
    if (stopped) return
    try {
      let changed = false
      for (const r of state().jobs) if (watch(r)) changed = true
      if (prune()) changed = true
      if (changed) save()
      if (desired !== null) converge(desired)
    } catch (err) {
      o.log.error({ err: String(err) }, 'job watch failed')
    }
    timer = timers.setTimeout(tick, pollMs)
  }

  return {
    store,
    start () {
      for (const r of state().jobs) {
        if (r.exited) continue
        if (isSameProcessAlive(r.pid, r.start_time, procRoot)) o.log.info({ job: r.job_id, run: r.run, pid: r.pid }, 're-adopted a running job')
      }
      tick()
    },
    converge,
    running: () => state().jobs.filter(r => !r.session_gone).map(r => ({ job_id: r.job_id, run: r.run, pid: r.pid, gpu_uuids: [...r.gpu_uuids] })),
    jobOfPid (pid) {
      const stat = readProcStat(pid, procRoot)
      if (stat === null) return null
      const r = state().jobs.find(j => !j.session_gone && j.sid === stat.session)
      return r === undefined ? null : { job_id: r.job_id, run: r.run }
    },
    async stop () {
      stopped = true
      if (timer !== null) timers.clearTimeout(timer)
      timer = null
      await store.save().catch(() => {})
    },
  }
}

function kill (pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig) } catch {}
}

function readExitFile (path: string): JobOutcome {
  try { return parseExitStatus(readFileSync(path, 'utf8')) } catch { return { kind: 'unknown' } }
}

function systemdIsInit (procRoot: string): boolean {
  try { return readFileSync(`${procRoot}/1/comm`, 'utf8').trim() === 'systemd' } catch { return false }
}

function systemdRunVersion (): number | null {
  try { return parseSystemdVersion(execFileSync('systemd-run', ['--version'], { encoding: 'utf8', timeout: 5000 })) } catch { return null }
}
