import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { GpuSource } from '../gpu-source.ts'
import type { LoadedModel, PurgeAdapter } from './purge-types.ts'

export interface ProcessAdapterOptions {
  source: Pick<GpuSource, 'refreshComputeApps'>
  /** Process names the operator allows purge to signal: a basename ("python") or a full path. */
  allow: readonly string[]
  /** How long a process gets to exit after SIGTERM. */
  graceMs: number
  /** How long to wait for a SIGKILLed process to vanish before calling it stuck. */
  killWaitMs?: number
  pollMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Signal sender; process.kill unless a test needs an EPERM it cannot produce as root. */
  kill?: (pid: number, signal: NodeJS.Signals | 0) => void
  /** The agent's own pid, never signalled. */
  selfPid?: number
}

interface ProcessRef {
  pid: number
  processName: string
}

/**
 * Allow-listed GPU processes (from `--query-compute-apps`): SIGTERM, wait `graceMs` for the
 * exit; only with force, SIGKILL after the grace. It never signals a pid that is not on the
 * allow-list, pid ≤ 1, or the agent itself. The purge service runs it after the runtime
 * adapters, so a runtime releases its own processes before anything is signalled; still,
 * do not allow-list a runtime's own server process name.
 * There is a window between nvidia-smi listing a pid and the signal in which the pid could be
 * reused; it is milliseconds against a process that was holding GPU memory, and we accept it.
 */
export function createProcessAdapter (options: ProcessAdapterOptions): PurgeAdapter {
  const allow = new Set(options.allow)
  const killWaitMs = options.killWaitMs ?? 5000
  const pollMs = options.pollMs ?? 100
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)))
  const kill = options.kill ?? ((pid: number, signal: NodeJS.Signals | 0) => { process.kill(pid, signal) })
  const selfPid = options.selfPid ?? process.pid

  function allowed (processName: string): boolean {
    return allow.has(processName) || allow.has(basename(processName))
  }

  async function list (): Promise<LoadedModel[]> {
    if (allow.size === 0) return []
    const reading = await options.source.refreshComputeApps()
    const seen = new Set<number>()
    const models: LoadedModel[] = []
    // A process on several GPUs appears once per GPU; signal it once.
    for (const app of reading.apps) {
      if (seen.has(app.pid) || app.pid <= 1 || app.pid === selfPid || !allowed(app.processName)) continue
      seen.add(app.pid)
      const ref: ProcessRef = { pid: app.pid, processName: app.processName }
      models.push({ runtime: 'process', name: `${basename(app.processName)} (pid ${app.pid})`, busy: false, ref })
    }
    return models
  }

  async function unload (model: LoadedModel, { force }: { force: boolean }): Promise<string> {
    const { pid, processName } = model.ref as ProcessRef
    // Re-check here too: unload must be safe even when handed a model this adapter did not list.
    if (pid <= 1 || pid === selfPid || !allowed(processName)) {
      throw new Error(`pid ${pid} (${processName}) is not on the purge allow-list; not signalled`)
    }
    const label = `pid ${pid} (${basename(processName)})`
    if (!send(pid, 'SIGTERM', label)) return `${label} had already exited`
    if (await waitForExit(pid, options.graceMs)) return `sent SIGTERM to ${label}; it exited`
    const grace = seconds(options.graceMs)
    if (!force) throw new Error(`${label} did not exit after SIGTERM within ${grace}; retry with force`)
    if (!send(pid, 'SIGKILL', label)) return `sent SIGTERM to ${label}; it exited`
    if (await waitForExit(pid, killWaitMs)) return `sent SIGTERM to ${label}, then SIGKILL after ${grace}; it exited`
    throw new Error(`${label} is still there ${seconds(killWaitMs)} after SIGKILL (stuck in the driver?); the GPU may need a reset`)
  }

  /** False when the process was already gone. */
  function send (pid: number, signal: NodeJS.Signals, label: string): boolean {
    try {
      kill(pid, signal)
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ESRCH') return false
      if (code === 'EPERM') {
        throw new Error(`not permitted to send ${signal} to ${label} (EPERM): the agent runs unprivileged; to let purge stop other users' GPU processes, opt in to CAP_KILL in gpufleet-agent.service (AmbientCapabilities=CAP_KILL, CapabilityBoundingSet=CAP_KILL)`)
      }
      throw new Error(`could not send ${signal} to ${label}: ${(err as Error).message}`)
    }
  }

  async function waitForExit (pid: number, withinMs: number): Promise<boolean> {
    const deadline = now() + withinMs
    for (;;) {
      if (!alive(pid)) return true
      if (now() >= deadline) return false
      await sleep(Math.min(pollMs, Math.max(1, deadline - now())))
    }
  }

  function alive (pid: number): boolean {
    try {
      kill(pid, 0)
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM'
    }
    // A zombie has released its GPU memory; only its parent has not reaped it yet.
    return !isZombie(pid)
  }

  return { name: 'process', kind: 'process', list, unload }
}

function isZombie (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) S …": comm may hold spaces and parentheses, so read after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
  } catch {
    return false
  }
}

function seconds (ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`
}
