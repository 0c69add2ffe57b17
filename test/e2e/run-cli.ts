import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

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

/** Runs bin/gpufleet as a real process (the launcher picks the pinned Node 24); `nodeArgs` go to that node (a test's --import). */
export function runCli (args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): CliRun {
  // Through sh so tap's process-tracking hooks (NODE_OPTIONS --import) stay out of the CLI.
  const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, ...nodeArgs, GPUFLEET, ...args], {
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

/** What a finished `gpufleet` run printed and its exit code. */
export interface Ran { code: number | null, stdout: string, stderr: string }

/**
 * `gpufleet` against a live control plane as root: its URL and key from the environment, an
 * empty XDG_CONFIG_HOME under `dir` (never the developer's ~/.config), and GPUFLEET_NODE /
 * GPUFLEET_CONFIG unset (undefined drops what the developer's shell may have set). `env` adds
 * to or overrides that per run.
 */
export function liveCli (fleet: { dir: string, cpUrl: string, rootKey: string }): ((args: string[], env?: NodeJS.ProcessEnv) => Promise<Ran>) & { env: NodeJS.ProcessEnv } {
  const home = join(fleet.dir, 'xdg')
  mkdirSync(home, { recursive: true })
  const base = { XDG_CONFIG_HOME: home, GPUFLEET_URL: fleet.cpUrl, GPUFLEET_API_KEY: fleet.rootKey, GPUFLEET_NODE: undefined, GPUFLEET_CONFIG: undefined }
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> => {
    const run = runCli(args, { ...base, ...env })
    const { code } = await run.exited
    return { code, stdout: run.stdout(), stderr: run.stderr() }
  }
  /** The environment every run gets, for runs the test drives itself (follow, watch). */
  return Object.assign(cli, { env: base })
}
