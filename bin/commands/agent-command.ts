import { Command } from 'commander'
import { AGENT_DEFAULTS } from '../../agent/config.ts'
import { definedOnly, envOption } from '../env-option.ts'

export function agentCommand (): Command {
  const d = AGENT_DEFAULTS
  return new Command('agent')
    .description('run the per-host agent: nvidia-smi collector, operator API, /metrics, uplink to the control plane')
    .addOption(envOption('--listen <host:port>', `operator API and /metrics address (default ${d.listen})`))
    .addOption(envOption('--control-plane <url>', `control plane base URL (default ${d.controlPlane})`))
    .addOption(envOption('--control-plane-ca <path>', 'PEM CA bundle to trust for an https:// control plane (instead of the system roots)'))
    .addOption(envOption('--advertise-url <url>', 'the URL the control plane and operators reach this agent at (default: derived from --listen; never 0.0.0.0 or loopback for a remote control plane)'))
    .addOption(envOption('--tls-cert <path>', 'PEM certificate chain: serve the operator API and /metrics over HTTPS (with --tls-key)'))
    .addOption(envOption('--tls-key <path>', 'PEM private key for --tls-cert'))
    .addOption(envOption('--api-key <key>', 'ingest-scoped API key for the control plane'))
    .addOption(envOption('--cluster <name>', 'cluster this node belongs to (default "default")'))
    .addOption(envOption('--region <code>', 'region code, e.g. us-east-1'))
    .addOption(envOption('--hostname <name>', 'node name reported to the control plane (default: the host name)'))
    .addOption(envOption('--nvidia-smi <path>', `nvidia-smi executable (default ${d.nvidiaSmi})`))
    .addOption(envOption('--simulate', 'use the built-in nvidia-smi simulator (8× B200) instead of real GPUs'))
    .addOption(envOption('--state-dir <dir>', `identity state and sample spool (default ${d.stateDir})`))
    .addOption(envOption('--interval-ms <ms>', `sampling interval (default ${d.intervalMs})`))
    .addOption(envOption('--compute-apps-interval-ms <ms>', `compute process refresh (default ${d.computeAppsIntervalMs})`))
    .addOption(envOption('--stale-after-ms <ms>', `GPU data older than this is reported stale (default ${d.staleAfterMs})`))
    .addOption(envOption('--spool-max-bytes <bytes>', `on-disk spool bound (default ${d.spoolMaxBytes})`))
    .addOption(envOption('--key-cache-ttl-ms <ms>', `operator key verdict cache, at most 60000 (default ${d.keyCacheTtlMs})`))
    .addOption(envOption('--break-glass-key-sha256 <hex>', 'SHA-256 of an operator key accepted while the control plane is unreachable'))
    .addOption(envOption('--repin-operator-key <kid>', 'accept this operator-token key in place of the pinned one (after the control plane\'s key changed)'))
    .addOption(envOption('--metrics-token <token>', 'require this bearer token on /metrics'))
    .addOption(envOption('--ollama-url <url>', 'Ollama to unload on purge'))
    .addOption(envOption('--vllm-urls <urls>', 'vLLM servers to sleep on purge (comma-separated)'))
    .addOption(envOption('--vllm-api-key <key>', 'the key the vLLM servers were started with (--api-key), sent as a bearer token; prefer the env twin'))
    .addOption(envOption('--vllm-sleep-level <1|2>', `vLLM sleep level on purge: 1 keeps weights in CPU RAM, 2 discards them (default ${d.vllmSleepLevel})`))
    .addOption(envOption('--triton-url <url>', 'Triton to unload on purge'))
    .addOption(envOption('--purge-process-allow <entries>', 'executables the purge may signal: absolute paths, or name:<file> for any executable of that name (comma-separated)'))
    .addOption(envOption('--purge-grace-ms <ms>', `SIGTERM → SIGKILL grace with force (default ${d.purgeGraceMs})`))
    .addOption(envOption('--purge-settle-ms <ms>', `how long a purge waits for memory to settle (default ${d.purgeSettleMs})`))
    .addOption(envOption('--kernel-log <path>', `kernel log read for NVIDIA Xid errors; empty turns it off (default ${d.kernelLog})`))
    .addOption(envOption('--job-user <name>', 'unprivileged user executed jobs run as (never root; default: the agent\'s own user when it is not root)'))
    .addOption(envOption('--job-kill-grace <duration>', `SIGTERM → SIGKILL grace when a job is stopped, e.g. 30s (default ${d.jobKillGrace / 1000}s)`))
    .addOption(envOption('--job-log-max <bytes>', `a job's log file is rotated past this size, one older file kept, e.g. 64MiB (default ${d.jobLogMax})`))
    .addOption(envOption('--no-jobs', 'run no jobs here: ask the control plane for no assignments'))
    .addOption(envOption('--log-level <level>', `fatal|error|warn|info|debug|trace|silent (default ${d.logLevel})`))
    .action(async (opts: Record<string, unknown>) => {
      const { simulate, ...rest } = opts
      // Loaded on use: `gpufleet agent` must not pay for the control plane's modules (memory).
      const { runAgent } = await import('../run-agent.ts')
      await runAgent(definedOnly(rest), { simulate: simulate === true || simulate === 'true' || simulate === '1' })
    })
}
