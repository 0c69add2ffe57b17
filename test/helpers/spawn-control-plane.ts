import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { runCli, type CliRun } from '../e2e/run-cli.ts'

export interface SpawnedControlPlane {
  url: string
  pid: number
  adminKey: string
  run: CliRun
  /** VmRSS of the process in bytes (Linux /proc). */
  rss: () => number
  /** user+system CPU seconds so far (Linux /proc). */
  cpuSeconds: () => number
  /** SIGTERM and wait: the orderly stop (flush, release the lease, close the store). */
  stop: () => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** SIGKILL and wait: nothing flushed, no goodbye to the database. */
  kill: () => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * `gpufleet control-plane` as a real process on 127.0.0.1:0 (or `listen`, to restart one on
 * the port its agents know), through runCli so tap's hooks stay out of it, with a known
 * superadmin key from GPUFLEET_ADMIN_KEY. Resolves once it printed its URL. For the soak benchmark and the fault tests, which kill it for real.
 */
export async function spawnControlPlane (db: string, opts: { adminKey?: string, listen?: string, args?: string[], env?: NodeJS.ProcessEnv } = {}): Promise<SpawnedControlPlane> {
  const adminKey = opts.adminKey ?? `gfk_${randomBytes(32).toString('hex')}`
  const run = runCli(['control-plane', '--listen', opts.listen ?? '127.0.0.1:0', '--db', db, '--log-level', 'warn', ...(opts.args ?? [])], {
    GPUFLEET_ADMIN_KEY: adminKey,
    ...opts.env,
  })
  const m = await run.waitForStderr(/listening on (https?:\/\/\S+)/)
  const pid = run.child.pid!
  const exit = () => run.child.exitCode !== null || run.child.signalCode !== null
    ? Promise.resolve({ code: run.child.exitCode, signal: run.child.signalCode })
    : run.exited
  return {
    url: m[1]!,
    pid,
    adminKey,
    run,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    cpuSeconds () {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name), in clock ticks.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
      return (Number(fields[11]) + Number(fields[12])) / 100
    },
    stop () { run.child.kill('SIGTERM'); return exit() },
    kill () { run.child.kill('SIGKILL'); return exit() },
  }
}
