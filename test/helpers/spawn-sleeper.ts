import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import type { Test } from 'tap'
import type { Dummy } from './spawn-dummy.ts'

/** The executable a sleeper runs, as /proc/<pid>/exe names it. */
export const SLEEP_EXE = realpathSync('/bin/sleep')

/**
 * A real process of another executable than the test runner (`sleep`), for tests that tell
 * processes apart by /proc/<pid>/exe. spawn() returns once the child has exec'd (libuv waits
 * for the exec), so its exe is already sleep's. SIGTERM ends it. Killed in teardown.
 */
export async function spawnSleeper (t: Test): Promise<Dummy> {
  const child = spawn(SLEEP_EXE, ['3600'], { stdio: 'ignore' })
  const exited = once(child, 'exit').then(([, signal]) => signal as NodeJS.Signals | null)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  await once(child, 'spawn')
  return { pid: child.pid!, child, exited, alive: () => child.exitCode === null && child.signalCode === null }
}
