import { execa } from 'execa'
import { AgentError } from '../errors.ts'

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
  const result = await execa(path, args, {
    env: options.env,
    stdin: 'ignore',
    reject: false,
    timeout: options.timeoutMs,
    forceKillAfterDelay: options.killGraceMs,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    stripFinalNewline: false,
  })
  const failure = result.failed ? spawnError(path, (result as { code?: string }).code, result) : null
  if (failure) throw failure
  if (result.isCanceled) throw new AgentError('NVIDIA_SMI_FAILED', 'nvidia-smi run canceled: the collector is stopping')
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: result.exitCode,
    timedOut: result.timedOut,
  }
}
