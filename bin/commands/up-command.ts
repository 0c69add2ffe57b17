import { Command } from 'commander'
import { AGENT_DEFAULTS } from '../../agent/config.ts'
import { CONTROL_PLANE_DEFAULTS } from '../../control-plane/defaults.ts'
import { definedOnly, envOption } from '../env-option.ts'
import type { UpOptions } from '../run-up.ts'

export function upCommand (): Command {
  return new Command('up')
    .description('run the whole system locally: control plane on SQLite plus one agent on this host (simulated GPUs when there is no nvidia-smi)')
    .addOption(envOption('--data-dir <dir>', 'database, agent state and the local agent key (default ./data)'))
    .addOption(envOption('--port <port>', 'control plane port on 127.0.0.1 (default 8080)'))
    .addOption(envOption('--agent-port <port>', 'agent operator API port on 127.0.0.1 (default 9410)'))
    .addOption(envOption('--nvidia-smi <path>', 'nvidia-smi to read (default: /usr/bin/nvidia-smi or the one on PATH, else the simulator)'))
    .addOption(envOption('--session-ttl <duration>', `console session lifetime, 1m..30d: 8h, 30m, 1h30m, 1d (default ${CONTROL_PLANE_DEFAULTS.sessionTtl})`))
    .addOption(envOption('--trust-proxy [bool]', 'behind a TLS-terminating proxy: Secure session cookie from X-Forwarded-Proto: https, limiter keyed by the right-most X-Forwarded-For address (the one the proxy added); off by default'))
    .addOption(envOption('--alert-webhook-allow-private [bool]', 'let alert webhooks reach loopback, private, link-local and metadata addresses (a receiver on this host); off by default'))
    .addOption(envOption('--job-user <name>', 'unprivileged user the local agent runs executed jobs as (needed when up runs as root; default: your own user)'))
    .addOption(envOption('--job-kill-grace <duration>', `SIGTERM → SIGKILL grace when the local agent stops a job, e.g. 30s (default ${AGENT_DEFAULTS.jobKillGrace / 1000}s)`))
    .addOption(envOption('--simulator <mix>', 'without nvidia-smi, what the simulated GPUs do: idle (8 idle B200s, the default) or demo (GPUs 0-3 busy, 4 busy and hot, 5-7 idle: what npm start shows; kept in <data-dir>/simulator-state.json, which you may edit)'))
    .addOption(envOption('--telemetry <engine>', `where GPU telemetry lives: sql (the SQLite file's tables) or vm=http://host:8428, vm=insert=URL,select=URL (VictoriaMetrics; docs/victoriametrics.md) (default ${CONTROL_PLANE_DEFAULTS.telemetry})`))
    .addOption(envOption('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent: the servers\' JSON logs (default: none, human lines only)'))
    .action(async (opts: Record<string, unknown>) => {
      // Loaded on use: `gpufleet agent` must not pay for the control plane's modules (memory).
      const { runUp } = await import('../run-up.ts')
      await runUp(definedOnly(opts) as UpOptions)
    })
}
