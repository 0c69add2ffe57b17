import { createHash, randomBytes } from 'node:crypto'
import { runCli, type CliRun } from '../e2e/run-cli.ts'

export interface SpawnedAgent {
  url: string
  run: CliRun
  /** A superadmin key the agent accepts even while the control plane is unreachable (break-glass). */
  operatorKey: string
  /** The agent's own gpufleet_agent_* figures from /metrics, by metric name (no labels). */
  metrics: () => Promise<Record<string, number>>
  /** GET with the operator key. */
  get: (path: string) => Promise<Response>
  stop: () => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * `gpufleet agent --simulate` as a real process on 127.0.0.1:0, pushing to `controlPlane`
 * with `apiKey`, its state (identity + spool) in `stateDir`. Resolves once it listens.
 */
export async function spawnAgent (o: { controlPlane: string, apiKey: string, stateDir: string, hostname?: string, operatorKey?: string, args?: string[] }): Promise<SpawnedAgent> {
  const operatorKey = o.operatorKey ?? `gfk_${randomBytes(32).toString('hex')}`
  const run = runCli([
    'agent', '--simulate', '--listen', '127.0.0.1:0', '--control-plane', o.controlPlane, '--api-key', o.apiKey,
    '--state-dir', o.stateDir, '--cluster', 'reliability', '--hostname', o.hostname ?? 'rel-agent', '--log-level', 'warn',
    '--break-glass-key-sha256', createHash('sha256').update(operatorKey).digest('hex'),
    ...(o.args ?? []),
  ])
  const [, url] = await run.waitForStderr(/agent listening on (https?:\/\/\S+)/)
  return {
    url: url!,
    run,
    operatorKey,
    async metrics () {
      const text = await (await fetch(`${url}/metrics`)).text()
      const out: Record<string, number> = {}
      for (const m of text.matchAll(/^(gpufleet_agent_[a-z_]+) (\S+)$/gm)) out[m[1]!] = Number(m[2])
      return out
    },
    get: path => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${operatorKey}` } }),
    stop () {
      if (run.child.exitCode !== null || run.child.signalCode !== null) return Promise.resolve({ code: run.child.exitCode, signal: run.child.signalCode })
      run.child.kill('SIGTERM')
      return run.exited
    },
  }
}
