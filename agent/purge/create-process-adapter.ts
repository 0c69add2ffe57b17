import { basename } from 'node:path'
import type { GpuSource } from '../gpu-source.ts'
import { createProcessAllowList } from './create-process-allow-list.ts'
import type { LoadedModel, PurgeAdapter } from '../../shared/wire/purge-types.ts'
import { readProcIdentity } from './read-proc-identity.ts'
import type { ProcIdentity } from './read-proc-identity.ts'

export interface ProcessAdapterOptions {
  source: Pick<GpuSource, 'refreshComputeApps'>
  /**
   * `--purge-process-allow` entries: executables' absolute paths, or `name:<file name>` for any
   * executable of that name. Matched against /proc/<pid>/exe, never nvidia-smi's process name
   * (argv[0], which any process can set).
   */
  allow: readonly string[]
  /** How long a process gets to exit after SIGTERM. */
  graceMs: number
  /** How long to wait for a SIGKILLed process to vanish before calling it stuck. */
  killWaitMs?: number
  pollMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Signal sender; process.kill unless a test needs an EPERM it cannot produce as root. */
  kill?: (pid: number, signal: NodeJS.Signals) => void
  /** The agent's own pid, never signalled. */
  selfPid?: number
  /** Where procfs is mounted (tests point it at fixtures). Default /proc. */
  procRoot?: string
  /** How allow-list paths are resolved through symlinks (realpathSync by default). */
  resolvePath?: (path: string) => string
}

interface ProcessRef {
  pid: number
  processName: string
  /** Who the pid was when listed; null: it could not be identified (see `unreadable`). */
  identity: { exe: string, startTime: string } | null
  unreadable?: { path: string, code: string }
}

/** What checking a pid right before a signal found. */
type Check = { ok: true } | { ok: false, why: string }

/**
 * Allow-listed GPU processes (from `--query-compute-apps`): SIGTERM, wait `graceMs` for the
 * exit; only with force, SIGKILL after the grace. It never signals a pid that is not on the
 * allow-list, pid ≤ 1, or the agent itself. The purge service runs it after the runtime
 * adapters, so a runtime releases its own processes before anything is signalled; still,
 * do not allow-list a runtime's own server executable.
 *
 * A pid is a process only until it exits: the kernel hands the number to the next process.
 * So list() records each process's identity (executable and start time, from /proc), and
 * immediately before each signal, SIGTERM and the later SIGKILL alike, it is read again in
 * the same tick as the kill: a pid that now names another process is not signalled (the one
 * we meant has exited, which is what purge wanted). What remains is the gap between that
 * read and kill(2) within one tick; Linux's pidfd_send_signal would close it, Node has no
 * binding for it. A process the agent cannot identify (another user's, without
 * CAP_SYS_PTRACE) is reported, never signalled.
 */
export function createProcessAdapter (options: ProcessAdapterOptions): PurgeAdapter {
  const allow = createProcessAllowList(options.allow, options.resolvePath)
  const killWaitMs = options.killWaitMs ?? 5000
  const pollMs = options.pollMs ?? 100
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)))
  const kill = options.kill ?? ((pid: number, signal: NodeJS.Signals) => { process.kill(pid, signal) })
  const selfPid = options.selfPid ?? process.pid
  const procRoot = options.procRoot ?? '/proc'

  async function list (): Promise<LoadedModel[]> {
    if (allow.size === 0) return []
    const reading = await options.source.refreshComputeApps()
    const seen = new Set<number>()
    const models: LoadedModel[] = []
    // A process on several GPUs appears once per GPU; signal it once.
    for (const app of reading.apps) {
      if (seen.has(app.pid) || app.pid <= 1 || app.pid === selfPid) continue
      seen.add(app.pid)
      const found = readProcIdentity(procRoot, app.pid)
      let ref: ProcessRef
      if (found.kind === 'gone') continue
      if (found.kind === 'unreadable') {
        // Unidentifiable: worth an error only when its name suggests the operator meant it.
        if (!allow.mayName(app.processName) && (found.comm === undefined || !allow.mayName(found.comm))) continue
        ref = { pid: app.pid, processName: app.processName, identity: null, unreadable: { path: found.path, code: found.code } }
      } else {
        if (!allow.allows(found.exe)) continue
        ref = { pid: app.pid, processName: app.processName, identity: { exe: found.exe, startTime: found.startTime } }
      }
      models.push({ runtime: 'process', name: `${basename(app.processName)} (pid ${app.pid})`, busy: false, ref })
    }
    return models
  }

  async function unload (model: LoadedModel, { force }: { force: boolean }): Promise<string> {
    const ref = model.ref as Partial<ProcessRef> | undefined
    const pid = ref?.pid ?? 0
    const processName = ref?.processName ?? model.name
    const label = `pid ${pid} (${basename(processName)})`
    if (pid <= 1 || pid === selfPid) throw new Error(`${label} is never signalled by purge (pid 1 or the agent itself)`)
    if (ref?.unreadable !== undefined) {
      const { path, code } = ref.unreadable
      const hint = code === 'EACCES' || code === 'EPERM'
        ? ': it runs as another user; an agent that must stop other users\' GPU processes needs CAP_SYS_PTRACE (to read /proc/<pid>/exe) besides CAP_KILL, or run the jobs as the agent\'s user'
        : ''
      throw new Error(`${label} cannot be identified (${path}: ${code}), so it is not signalled${hint}`)
    }
    const identity = ref?.identity
    if (identity === undefined || identity === null) {
      // Unload must be safe even when handed a model this adapter did not list.
      const current = readProcIdentity(procRoot, pid)
      if (current.kind === 'running' && !allow.allows(current.exe)) throw new Error(`${label} (${current.exe}) is not on the purge allow-list; not signalled`)
      throw new Error(`${label} was not listed by the process adapter; not signalled`)
    }

    const term = signal(pid, identity, 'SIGTERM', label)
    if (!term.ok) return `${label} had already exited${term.why}`
    if (await waitForExit(pid, identity, options.graceMs)) return `sent SIGTERM to ${label}; it exited`
    const grace = seconds(options.graceMs)
    if (!force) throw new Error(`${label} did not exit after SIGTERM within ${grace}; retry with force`)
    const killed = signal(pid, identity, 'SIGKILL', label)
    if (!killed.ok) return `sent SIGTERM to ${label}; it exited${killed.why}`
    if (await waitForExit(pid, identity, killWaitMs)) return `sent SIGTERM to ${label}, then SIGKILL after ${grace}; it exited`
    throw new Error(`${label} is still there ${seconds(killWaitMs)} after SIGKILL (stuck in the driver?); the GPU may need a reset`)
  }

  /** Whether `pid` is still the process that was listed; `why` is empty or "; …" to append. */
  function check (pid: number, identity: NonNullable<ProcessRef['identity']>, signalName: string): Check {
    const current = readProcIdentity(procRoot, pid)
    if (current.kind === 'gone') return { ok: false, why: '' }
    if (current.kind === 'unreadable') {
      throw new Error(`pid ${pid} cannot be identified before ${signalName} (${current.path}: ${current.code}); not signalled`)
    }
    if (current.startTime !== identity.startTime) return { ok: false, why: `; pid ${pid} now belongs to another process (${current.exe}), which was not signalled` }
    // Same process, another program: execve(2) dropped its address space and its CUDA context.
    if (current.exe !== identity.exe) return { ok: false, why: `; pid ${pid} now runs ${current.exe}, which was not signalled` }
    return { ok: true }
  }

  /** Check and signal in one tick. Not ok when the listed process is gone. */
  function signal (pid: number, identity: NonNullable<ProcessRef['identity']>, signalName: NodeJS.Signals, label: string): Check {
    const verdict = check(pid, identity, signalName)
    if (!verdict.ok) return verdict
    try {
      kill(pid, signalName)
      return verdict
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ESRCH') return { ok: false, why: '' }
      if (code === 'EPERM') {
        throw new Error(`not permitted to send ${signalName} to ${label} (EPERM): the agent runs unprivileged; to let purge stop other users' GPU processes, opt in to CAP_KILL in gpufleet-agent.service (AmbientCapabilities=CAP_KILL, CapabilityBoundingSet=CAP_KILL)`)
      }
      throw new Error(`could not send ${signalName} to ${label}: ${(err as Error).message}`)
    }
  }

  /** True once the listed process is gone (exited, a zombie, or its pid taken by another). */
  async function waitForExit (pid: number, identity: NonNullable<ProcessRef['identity']>, withinMs: number): Promise<boolean> {
    const deadline = now() + withinMs
    for (;;) {
      if (!stillThere(pid, identity)) return true
      if (now() >= deadline) return false
      await sleep(Math.min(pollMs, Math.max(1, deadline - now())))
    }
  }

  function stillThere (pid: number, identity: NonNullable<ProcessRef['identity']>): boolean {
    const found: ProcIdentity = readProcIdentity(procRoot, pid)
    if (found.kind === 'gone') return false
    // Unreadable now but identified before: keep waiting rather than claim an exit we did not see.
    if (found.kind === 'unreadable') return true
    return found.startTime === identity.startTime && found.exe === identity.exe
  }

  return { name: 'process', kind: 'process', list, unload }
}

function seconds (ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`
}
