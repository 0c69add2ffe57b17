import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { Test } from 'tap'

export interface Dummy {
  pid: number
  child: ChildProcess
  /** Resolves with the signal that ended it (null if it exited on its own). */
  exited: Promise<NodeJS.Signals | null>
  alive: () => boolean
}

/**
 * A real process standing in for a GPU job, for the purge process adapter: it idles until
 * signalled. `ignoreSigterm` makes one that shrugs SIGTERM off, like a job stuck in teardown.
 * It reports "ready" only once its handler is installed, so a test never races its start-up.
 * Killed in teardown whatever the test did.
 */
export async function spawnDummy (t: Test, options: { ignoreSigterm?: boolean } = {}): Promise<Dummy> {
  const handler = options.ignoreSigterm === true ? "process.on('SIGTERM', () => {});" : ''
  const child = spawn(process.execPath, ['-e', `${handler} setInterval(() => {}, 1000); process.stdout.write('ready\\n')`], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit').then(([, signal]) => signal as NodeJS.Signals | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve() })
  })
  return { pid: child.pid!, child, exited, alive: () => child.exitCode === null && child.signalCode === null }
}
