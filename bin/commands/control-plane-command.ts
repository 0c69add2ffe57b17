import { Command } from 'commander'
import { CONTROL_PLANE_DEFAULTS } from '../../control-plane/defaults.ts'
import { definedOnly, envOption } from '../env-option.ts'

export function controlPlaneCommand (): Command {
  const d = CONTROL_PLANE_DEFAULTS
  return new Command('control-plane')
    .description('run the control plane (API, fleet registry, telemetry); GPUFLEET_ADMIN_KEY bootstraps a superadmin key')
    .addOption(envOption('--listen <host:port>', `address to listen on (default ${d.listen})`))
    .addOption(envOption('--db <path|url>', `SQLite file, or postgres://user:password@host:port/database (default ${d.db})`))
    .addOption(envOption('--demo [bool]', 'answer requests without a key as read-only (seed 003 demo mode); off by default'))
    .addOption(envOption('--body-limit-bytes <n>', `largest request body (default ${d.bodyLimitBytes})`))
    .addOption(envOption('--auth-failures-per-minute <n>', `failed key checks one address may make; valid keys are never limited (default ${d.authFailuresPerMinute})`))
    .addOption(envOption('--introspect-failures-per-minute <n>', `inactive keys one agent (key and address) may introspect; active ones are never limited (default ${d.introspectFailuresPerMinute})`))
    .addOption(envOption('--stripe-api-base <url>', 'Stripe API base URL (default https://api.stripe.com); the key comes from GPUFLEET_STRIPE_API_KEY'))
    .addOption(envOption('--session-ttl <duration>', `console session lifetime, 1m..30d: 8h, 30m, 1h30m, 1d (default ${CONTROL_PLANE_DEFAULTS.sessionTtl})`))
    .addOption(envOption('--trust-proxy [bool]', 'behind a TLS-terminating proxy: Secure session cookie from X-Forwarded-Proto: https, limiter keyed by the right-most X-Forwarded-For address (the one the proxy added); off by default'))
    .addOption(envOption('--tls-cert <path>', 'PEM certificate chain: serve HTTPS (with --tls-key); or terminate TLS in a reverse proxy (--trust-proxy)'))
    .addOption(envOption('--tls-key <path>', 'PEM private key for --tls-cert'))
    .addOption(envOption('--alert-webhook-allow-private [bool]', 'let alert webhooks reach loopback, private (RFC 1918, ULA), link-local and cloud metadata addresses; off by default (refused: server-side request forgery)'))
    .addOption(envOption('--node-fail-grace <duration>', `a node offline this long loses its running jobs (failed NODE_FAIL, or requeued): 2m, 30s, 1h (default ${d.nodeFailGrace})`))
    .addOption(envOption('--job-log-retain <size>', `newest log bytes kept per executed job; older output is dropped from the head: 8MiB, 512KiB, bytes (default ${d.jobLogRetain})`))
    .addOption(envOption('--slurm-interval <duration>', `how often the leader imports Slurm accounting, 10s..1d, or off (default ${d.slurmInterval})`))
    .addOption(envOption('--slurm-rest-url <url>', 'slurmrestd base URL for Slurm accounting (token from GPUFLEET_SLURM_TOKEN); without it, sacct --json on this host'))
    .addOption(envOption('--slurm-rest-user <name>', 'X-SLURM-USER-NAME for slurmrestd (default: the token\'s user)'))
    .addOption(envOption('--slurm-rest-api <version>', `slurmrestd's slurmdb plugin version (default ${d.slurmRestApi})`))
    .addOption(envOption('--slurm-sacct <path>', `sacct command used without --slurm-rest-url (default ${d.slurmSacct})`))
    .addOption(envOption('--telemetry-compact-after <duration>', `raw telemetry older than this is stored compressed, 0s..7d (default ${d.telemetryCompactAfter})`))
    .addOption(envOption('--telemetry <engine>', `where GPU telemetry lives: sql (the --db store's tables) or vm=http://host:8428, vm=insert=URL,select=URL (VictoriaMetrics; docs/victoriametrics.md) (default ${d.telemetry})`))
    .addOption(envOption('--log-level <level>', `fatal|error|warn|info|debug|trace|silent (default ${d.logLevel})`))
    .action(async (opts: Record<string, unknown>) => {
      // Loaded on use: `gpufleet agent` must not pay for the control plane's modules (memory).
      const { runControlPlane } = await import('../run-control-plane.ts')
      await runControlPlane(definedOnly(opts))
    })
}
