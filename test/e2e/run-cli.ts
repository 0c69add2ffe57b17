import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')
export const GPUFLEET = resolve(ROOT, 'bin/gpufleet')

export interface CliRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Resolves with stdout once `pattern` appears in it (rejects if the process exits first). */
  waitFor: (pattern: RegExp) => Promise<RegExpMatchArray>
  /** The same on stderr (where servers announce their URL). */
  waitForStderr: (pattern: RegExp) => Promise<RegExpMatchArray>
}

/** Runs bin/gpufleet as a real process (the launcher picks the pinned Node 24). */
export function runCli (args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  // Through sh so tap's process-tracking hooks (NODE_OPTIONS --import) stay out of the CLI.
  const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, GPUFLEET, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); for (const w of waiters) w() })
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); for (const w of waiters) w() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(done => {
    child.on('exit', (code, signal) => { for (const w of waiters) w(); done({ code, signal }) })
  })
  const waitIn = (text: () => string) => (pattern: RegExp) => new Promise<RegExpMatchArray>((ok, fail) => {
    const check = () => {
      const m = text().match(pattern)
      if (m !== null) return ok(m)
      if (child.exitCode !== null || child.signalCode !== null) fail(new Error(`exited before ${String(pattern)}:\n${out}\n${err}`))
    }
    waiters.push(check)
    check()
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: waitIn(() => out),
    waitForStderr: waitIn(() => err),
  }
}

/** Polls `fn` until it returns a non-undefined value or `ms` pass. */
export async function pollUntil<T> (fn: () => Promise<T | undefined>, ms: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) return undefined
    await new Promise(r => setTimeout(r, everyMs))
  }
}
