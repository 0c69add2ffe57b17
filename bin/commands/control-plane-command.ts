import { Command } from 'commander'
import { CONTROL_PLANE_DEFAULTS } from '../../control-plane/config.ts'
import { definedOnly, envOption } from '../env-option.ts'

export function controlPlaneCommand (): Command {
  const d = CONTROL_PLANE_DEFAULTS
  return new Command('control-plane')
    .description('run the control plane (API, fleet registry, telemetry); GPUFLEET_ADMIN_KEY bootstraps a superadmin key')
    .addOption(envOption('--listen <host:port>', `address to listen on (default ${d.listen})`))
    .addOption(envOption('--db <path|url>', `SQLite file, or postgres://user:password@host:port/database (default ${d.db})`))
    .addOption(envOption('--demo', 'answer requests without a key as read-only (seed 003 demo mode); off by default'))
    .addOption(envOption('--body-limit-bytes <n>', `largest request body (default ${d.bodyLimitBytes})`))
    .addOption(envOption('--auth-failures-per-minute <n>', `failed key checks one address may make (default ${d.authFailuresPerMinute})`))
    .addOption(envOption('--stripe-api-base <url>', 'Stripe API base URL (default https://api.stripe.com); the key comes from GPUFLEET_STRIPE_API_KEY'))
    .addOption(envOption('--log-level <level>', `fatal|error|warn|info|debug|trace|silent (default ${d.logLevel})`))
    .action(async (opts: Record<string, unknown>) => {
      // Loaded on use: `gpufleet agent` must not pay for the control plane's modules (memory).
      const { runControlPlane } = await import('../run-control-plane.ts')
      await runControlPlane(definedOnly(opts))
    })
}
