import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'

export interface ChildExit {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The spawn failure (ENOENT, EACCES, …) when the process never started, else null. */
  error: NodeJS.ErrnoException | null
}

export interface GracefulChild {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** SIGTERM now, SIGKILL after the grace if it is still there (a child stuck in the driver). */
  kill: () => void
  /** Settles once the process is gone and its output drained; never rejects. */
  exited: Promise<ChildExit>
}

// After 'exit', wait this long for stdout to drain before calling it gone: a grandchild that
// inherited the pipe must not hold the exit back forever.
const DRAIN_MS = 250

const live = new Set<GracefulChild['child']>()
let exitHookInstalled = false

/**
 * An nvidia-smi child on node:child_process (execa's job before; loading execa cost the agent
 * ~5 MB of resident memory, README "Performance"): stdin ignored, stdout and stderr piped,
 * kill with a grace, and no child outlives the agent, whatever the path out of the process.
 */
export function spawnWithGrace (path: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv | undefined, killGraceMs: number }): GracefulChild {
  const child = spawn(path, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => { for (const c of live) c.kill('SIGKILL') })
  }
  let forceTimer: NodeJS.Timeout | null = null
  const exited = new Promise<ChildExit>(resolve => {
    let done = false
    const finish = (exit: ChildExit): void => {
      if (done) return
      done = true
      live.delete(child)
      if (forceTimer !== null) clearTimeout(forceTimer)
      resolve(exit)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, error: err })
    })
    child.once('exit', (exitCode, signal) => {
      const exit = { exitCode, signal, error: null }
      live.delete(child)
      const timer = setTimeout(() => finish(exit), DRAIN_MS)
      child.once('close', () => { clearTimeout(timer); finish(exit) })
    })
  })
  return {
    child,
    kill () {
      if (child.exitCode !== null || child.signalCode !== null || forceTimer !== null) return
      child.kill('SIGTERM')
      forceTimer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }, options.killGraceMs)
      forceTimer.unref()
    },
    exited,
  }
}
