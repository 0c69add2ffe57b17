import { createInterface } from 'node:readline'
import type { AgentError } from '../errors.ts'
import type { Timers } from '../../shared/timers.ts'
import { spawnError } from './run-nvidia-smi.ts'
import { spawnWithGrace } from './spawn-with-grace.ts'
import type { SignalChild } from './spawn-with-grace.ts'

export interface LoopChildExit {
  exitCode: number | null
  signal: string | null
  /** Last stderr line, for lastError. */
  stderr: string
  /** Set when the process never started (binary gone, not executable). */
  spawnError: AgentError | null
  /** It outlived SIGKILL (stuck in the driver) and was left behind. */
  abandoned: boolean
}

export interface LoopChild {
  pid: number | null
  /** SIGTERM, then SIGKILL after the grace if it is still there. */
  kill: () => void
  /** Settles once the process is gone, whatever the reason; never rejects. */
  exited: Promise<LoopChildExit>
}

export interface LoopChildOptions {
  env?: NodeJS.ProcessEnv
  killGraceMs: number
  abandonAfterMs?: number
  timers?: Timers
  signalChild?: SignalChild
  /** Every stdout line; nvidia-smi also prints its errors there. */
  onLine: (line: string) => void
  /** Every stderr line (some builds print device-handle errors there). */
  onErrorLine?: (line: string) => void
}

/** The long-lived `nvidia-smi … -lms N` child, its stdout handed over line by line. */
export function spawnLoopChild (path: string, args: readonly string[], options: LoopChildOptions): LoopChild {
  const run = spawnWithGrace(path, args, {
    env: options.env, killGraceMs: options.killGraceMs, abandonAfterMs: options.abandonAfterMs, timers: options.timers, signalChild: options.signalChild,
  })
  let stderr = ''
  run.child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4096) })
  createInterface({ input: run.child.stdout, crlfDelay: Infinity }).on('line', options.onLine)
  const onErrorLine = options.onErrorLine
  if (onErrorLine) createInterface({ input: run.child.stderr, crlfDelay: Infinity }).on('line', onErrorLine)
  const exited = run.exited.then(exit => ({
    exitCode: exit.exitCode,
    signal: exit.signal,
    stderr: stderr.trim().split('\n').at(-1) ?? '',
    spawnError: exit.error === null ? null : spawnError(path, exit.error.code, exit.error),
    abandoned: exit.abandoned,
  }))
  return { pid: run.child.pid ?? null, kill: run.kill, exited }
}
