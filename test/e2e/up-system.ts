import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliRun } from './run-cli.ts'

/** The job user a test's agent needs: `nobody` when the tests run as root (an agent never runs jobs as root). */
export const JOB_USER_ARGS: string[] = process.getuid?.() === 0 ? ['--job-user', 'nobody'] : []

export interface UpSystem {
  run: CliRun
  cpUrl: string
  /** GET/POST/PATCH against the control plane with the superadmin key; the parsed JSON (or text) and status. */
  api: <T = any>(method: string, path: string, body?: unknown) => Promise<{ status: number, body: T }>
}

/**
 * `gpufleet up` on the simulator (NVIDIA_SMI_SIM_STATE), as a user starts it. The key is
 * printed on the first start only: pass it back in for a second start on the same data dir.
 * bin/gpufleet runs cli.ts in its own process under Node 24 (what the tests run on), so
 * `run.child` is the process holding the control plane and the agent.
 */
export async function startUp (dataDir: string, simState: string, extraArgs: string[] = [], key?: string): Promise<UpSystem & { key: string }> {
  const run = runCli(['up', '--data-dir', dataDir, '--port', '0', '--agent-port', '0', ...JOB_USER_ARGS, ...extraArgs], { NVIDIA_SMI_SIM_STATE: simState })
  const [, cpUrl] = await run.waitFor(/control plane\s+(http:\/\/127\.0\.0\.1:\d+)/) as [string, string]
  const apiKey = key ?? (await run.waitFor(/gfk_[0-9a-f]{64}/))[0]
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text
    return { status: res.status, body: json }
  }
  return { run, cpUrl, key: apiKey, api }
}

/**
 * Stops `up` (SIGTERM, then SIGKILL if it lingers): the teardown of every start. Its jobs would
 * outlive it (the next agent re-adopts them), so their sessions are killed first.
 */
export async function stopUp (run: CliRun): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return
  for (const sid of jobLeadersOf(run.child.pid!)) killSession(sid)
  run.child.kill('SIGTERM')
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000)
  await run.exited
  clearTimeout(timer)
}

/**
 * Live pids whose /proc/<pid>/stat field `field` (4: parent, 5: process group, 6: session) is `id`. A
 * zombie has exited: it is left out (an orphan waits for whoever reaps it, not for the agent).
 */
function pidsWith (field: 4 | 5 | 6, id: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(join('/proc', name, 'stat'), 'utf8')
      // After the last ')': field 3 (state) first.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] !== 'Z' && Number(fields[field - 3]) === id) pids.push(Number(name))
    } catch {}
  }
  return pids
}

/** The jobs an agent started: its children that lead a session of their own, under the wrapper named gpufleet-job-<id>. */
function jobLeadersOf (agentPid: number): number[] {
  return pidsWith(4, agentPid).filter(pid => {
    try {
      return sessionPids(pid).includes(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some(a => a.startsWith('gpufleet-job-'))
    } catch { return false }
  })
}

export const sessionPids = (sid: number): number[] => pidsWith(6, sid)
export const groupPids = (pgid: number): number[] => pidsWith(5, pgid)

/** What nvidia-smi prints as a compute app's process_name: its argv[0] (`./gpu_burn`, `/root/tools/memhog` in the captures). */
export function processName (pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] || 'unknown' } catch { return 'unknown' }
}

/** SIGKILL to a job's whole session (teardown: nothing a test started outlives it). */
export function killSession (sid: number): void {
  for (const pid of sessionPids(sid)) {
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
}
