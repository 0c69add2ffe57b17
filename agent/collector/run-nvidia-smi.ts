import { AgentError } from '../errors.ts'
import type { Timers } from '../../shared/timers.ts'
import { spawnWithGrace } from './spawn-with-grace.ts'
import type { SignalChild } from './spawn-with-grace.ts'

export interface NvidiaSmiRunOptions {
  env?: NodeJS.ProcessEnv
  timeoutMs: number
  /** SIGTERM first; SIGKILL this long after if it is still there (a child stuck in the driver). */
  killGraceMs: number
  /** After SIGKILL, how long before a child that is still there is abandoned. */
  abandonAfterMs?: number
  /** Aborting kills the child (collector stop). */
  signal?: AbortSignal
  timers?: Timers
  signalChild?: SignalChild
}

export interface NvidiaSmiResult {
  stdout: string
  stderr: string
  exitCode: number | undefined
  timedOut: boolean
  /** The child outlived SIGKILL (stuck in the driver) and was left behind; implies timedOut or a cancel. */
  abandoned?: boolean
  pid?: number | null
}

// Output kept per stream: nvidia-smi's answers are kilobytes; a runaway one is cut, not buffered.
const MAX_OUTPUT_CHARS = 8 * 1024 * 1024

export function notFoundError (path: string, cause?: unknown): AgentError {
  return new AgentError('NVIDIA_SMI_NOT_FOUND',
    `nvidia-smi not found at ${path}: install the NVIDIA driver utilities or pass --nvidia-smi PATH (env GPUFLEET_NVIDIA_SMI)`,
    { cause })
}

/** Spawn failures that no retry fixes, as the agent's stable errors. */
export function spawnError (path: string, code: string | undefined, cause: unknown): AgentError | null {
  if (code === 'ENOENT') return notFoundError(path, cause)
  if (code === 'EACCES') {
    return new AgentError('NVIDIA_SMI_FAILED', `nvidia-smi at ${path} is not executable (EACCES); check its mode and the agent user's permissions`, { cause })
  }
  return null
}

/**
 * One nvidia-smi run to completion (probe, readNow, compute apps); a hung one is killed, and
 * one that even SIGKILL does not end is abandoned: the caller always gets an answer.
 */
export async function runNvidiaSmi (path: string, args: readonly string[], options: NvidiaSmiRunOptions): Promise<NvidiaSmiResult> {
  if (options.signal?.aborted) throw canceled()
  const timers = options.timers
  const run = spawnWithGrace(path, args, {
    env: options.env, killGraceMs: options.killGraceMs, abandonAfterMs: options.abandonAfterMs, timers, signalChild: options.signalChild,
  })
  let stdout = ''
  let stderr = ''
  run.child.stdout.setEncoding('utf8').on('data', (s: string) => { if (stdout.length < MAX_OUTPUT_CHARS) stdout += s })
  run.child.stderr.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < MAX_OUTPUT_CHARS) stderr += s })
  let timedOut = false
  let wasCanceled = false
  const onTimeout = (): void => { timedOut = true; run.kill() }
  const timer = timers ? timers.setTimeout(onTimeout, options.timeoutMs) : setTimeout(onTimeout, options.timeoutMs)
  const onAbort = (): void => { wasCanceled = true; run.kill() }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const exit = await run.exited
  if (timers) timers.clearTimeout(timer)
  else clearTimeout(timer as NodeJS.Timeout)
  options.signal?.removeEventListener('abort', onAbort)
  if (exit.error !== null) {
    const failure = spawnError(path, exit.error.code, exit.error)
    if (failure) throw failure
    return { stdout: '', stderr: exit.error.message, exitCode: undefined, timedOut: false, abandoned: false, pid: null }
  }
  if (wasCanceled) throw canceled()
  return { stdout, stderr, exitCode: exit.exitCode ?? undefined, timedOut, abandoned: exit.abandoned, pid: run.child.pid ?? null }
}

function canceled (): AgentError {
  return new AgentError('NVIDIA_SMI_FAILED', 'nvidia-smi run canceled: the collector is stopping')
}
