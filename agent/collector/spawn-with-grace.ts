import { spawn } from 'node:child_process'
import type { ChildProcess, ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { realTimers, type Timers } from '../../shared/timers.ts'

export interface ChildExit {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** The spawn failure (ENOENT, EACCES, …) when the process never started, else null. */
  error: NodeJS.ErrnoException | null
  /**
   * True when the process was still there `abandonAfterMs` after SIGKILL (uninterruptible
   * sleep inside the driver): it was given up on, its pipes closed, and nothing waits for it.
   */
  abandoned: boolean
}

/** Delivers a signal to a child: the kernel's job, a seam only so tests can model a child in uninterruptible sleep. */
export type SignalChild = (child: ChildProcess, signal: NodeJS.Signals) => void

export interface SpawnWithGraceOptions {
  env?: NodeJS.ProcessEnv | undefined
  killGraceMs: number
  /** After SIGKILL, how long the child may take to go before it is abandoned (default 5000). */
  abandonAfterMs?: number | undefined
  timers?: Timers | undefined
  signalChild?: SignalChild | undefined
}

export interface GracefulChild {
  child: ChildProcessByStdio<null, Readable, Readable>
  /** SIGTERM now, SIGKILL after the grace if it is still there, abandoned if even that has no effect. */
  kill: () => void
  /** Settles once the process is gone and its output drained, or it was abandoned; never rejects. */
  exited: Promise<ChildExit>
}

// After 'exit', wait this long for stdout to drain before calling it gone: a grandchild that
// inherited the pipe must not hold the exit back forever.
const DRAIN_MS = 250
export const DEFAULT_ABANDON_AFTER_MS = 5000

const live = new Set<GracefulChild['child']>()
let exitHookInstalled = false

const deliver: SignalChild = (child, signal) => { child.kill(signal) }

/**
 * An nvidia-smi child on node:child_process (execa's job before; loading execa cost the agent
 * ~5 MB of resident memory, README "Performance"): stdin ignored, stdout and stderr piped,
 * kill with a grace, and no child outlives the agent, whatever the path out of the process.
 *
 * A process blocked inside the driver (state D) ignores even SIGKILL until the driver call
 * returns, which may be never. Such a child is not awaited: `abandonAfterMs` after SIGKILL its
 * run settles as `abandoned`, our ends of its pipes are closed (it gets EPIPE if it ever
 * wakes) and it is unref'd, so a wedged driver costs one stuck process, not the agent's reads.
 */
export function spawnWithGrace (path: string, args: readonly string[], options: SpawnWithGraceOptions): GracefulChild {
  const timers = options.timers ?? realTimers
  const signalChild = options.signalChild ?? deliver
  const abandonAfterMs = options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS
  const child = spawn(path, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => { for (const c of live) c.kill('SIGKILL') })
  }
  let forceTimer: unknown = null
  let abandonTimer: unknown = null
  let done = false
  let finish: (exit: ChildExit) => void = () => {}
  const exited = new Promise<ChildExit>(resolve => {
    finish = (exit: ChildExit): void => {
      if (done) return
      done = true
      if (!exit.abandoned) live.delete(child)
      for (const t of [forceTimer, abandonTimer]) if (t !== null) timers.clearTimeout(t)
      resolve(exit)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, error: err, abandoned: false })
    })
    child.once('exit', (exitCode, signal) => {
      const exit = { exitCode, signal, error: null, abandoned: false }
      live.delete(child)
      const timer = setTimeout(() => finish(exit), DRAIN_MS)
      child.once('close', () => { clearTimeout(timer); finish(exit) })
    })
  })
  const gone = (): boolean => done || child.exitCode !== null || child.signalCode !== null
  return {
    child,
    kill () {
      if (gone() || forceTimer !== null) return
      signalChild(child, 'SIGTERM')
      forceTimer = timers.setTimeout(() => {
        if (gone()) return
        signalChild(child, 'SIGKILL')
        abandonTimer = timers.setTimeout(() => {
          if (gone()) return
          // Still there after SIGKILL: stuck in the kernel. Stop waiting and stop reading.
          child.stdout.destroy()
          child.stderr.destroy()
          child.unref()
          finish({ exitCode: null, signal: null, error: null, abandoned: true })
        }, abandonAfterMs)
      }, options.killGraceMs)
    },
    exited,
  }
}
