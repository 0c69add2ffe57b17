import { AgentError } from '../errors.ts'
import { spawnWithGrace } from './spawn-with-grace.ts'

export interface NvidiaSmiRunOptions {
  env?: NodeJS.ProcessEnv
  timeoutMs: number
  /** SIGTERM first; SIGKILL this long after if it is still there (a child stuck in the driver). */
  killGraceMs: number
  /** Aborting kills the child (collector stop). */
  signal?: AbortSignal
}

export interface NvidiaSmiResult {
  stdout: string
  stderr: string
  exitCode: number | undefined
  timedOut: boolean
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

/** One nvidia-smi run to completion (probe, readNow, compute apps); a hung one is killed. */
export async function runNvidiaSmi (path: string, args: readonly string[], options: NvidiaSmiRunOptions): Promise<NvidiaSmiResult> {
  if (options.signal?.aborted) throw canceled()
  const run = spawnWithGrace(path, args, { env: options.env, killGraceMs: options.killGraceMs })
  let stdout = ''
  let stderr = ''
  run.child.stdout.setEncoding('utf8').on('data', (s: string) => { if (stdout.length < MAX_OUTPUT_CHARS) stdout += s })
  run.child.stderr.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < MAX_OUTPUT_CHARS) stderr += s })
  let timedOut = false
  let wasCanceled = false
  const timer = setTimeout(() => { timedOut = true; run.kill() }, options.timeoutMs)
  const onAbort = (): void => { wasCanceled = true; run.kill() }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const exit = await run.exited
  clearTimeout(timer)
  options.signal?.removeEventListener('abort', onAbort)
  if (exit.error !== null) {
    const failure = spawnError(path, exit.error.code, exit.error)
    if (failure) throw failure
    return { stdout: '', stderr: exit.error.message, exitCode: undefined, timedOut: false }
  }
  if (wasCanceled) throw canceled()
  return { stdout, stderr, exitCode: exit.exitCode ?? undefined, timedOut }
}

function canceled (): AgentError {
  return new AgentError('NVIDIA_SMI_FAILED', 'nvidia-smi run canceled: the collector is stopping')
}
