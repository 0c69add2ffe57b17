import { createInterface } from 'node:readline'
import { execa } from 'execa'
import type { AgentError } from '../errors.ts'
import { spawnError } from './run-nvidia-smi.ts'

export interface LoopChildExit {
  exitCode: number | null
  signal: string | null
  /** Last stderr line, for lastError. */
  stderr: string
  /** Set when the process never started (binary gone, not executable). */
  spawnError: AgentError | null
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
  onLine: (line: string) => void
}

// After 'exit', wait this long for stdout to drain into the line reader before calling it gone.
const DRAIN_MS = 250

/** The long-lived `nvidia-smi … -lms N` child, its stdout handed over line by line. */
export function spawnLoopChild (path: string, args: readonly string[], options: LoopChildOptions): LoopChild {
  const sub = execa(path, args, {
    env: options.env,
    stdin: 'ignore',
    buffer: false,
    reject: false,
    forceKillAfterDelay: options.killGraceMs,
    // Kill the child when the agent exits, whatever the path out: no orphaned nvidia-smi.
    cleanup: true,
  })
  let stderr = ''
  sub.stderr?.setEncoding('utf8')
  sub.stderr?.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4096) })
  if (sub.stdout) createInterface({ input: sub.stdout, crlfDelay: Infinity }).on('line', options.onLine)

  const lastStderrLine = (): string => stderr.trim().split('\n').at(-1) ?? ''
  const exited = new Promise<LoopChildExit>(resolve => {
    let done = false
    const finish = (exit: LoopChildExit): void => {
      if (done) return
      done = true
      resolve(exit)
    }
    sub.once('exit', (code, signal) => {
      const exit = { exitCode: code, signal, stderr: '', spawnError: null }
      const timer = setTimeout(() => finish({ ...exit, stderr: lastStderrLine() }), DRAIN_MS)
      sub.once('close', () => {
        clearTimeout(timer)
        finish({ ...exit, stderr: lastStderrLine() })
      })
    })
    // With reject: false the promise always settles; a spawn failure emits no 'exit'.
    void sub.then(result => {
      const code = (result as { code?: string }).code
      finish({
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        stderr: lastStderrLine(),
        spawnError: result.failed ? spawnError(path, code, result) : null,
      })
    })
  })

  return {
    pid: sub.pid ?? null,
    kill: () => { sub.kill() },
    exited,
  }
}
