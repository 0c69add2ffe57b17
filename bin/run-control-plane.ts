import { parseControlPlaneConfig, type ControlPlaneConfigInput } from '../control-plane/config.ts'
import { ControlPlaneError } from '../control-plane/errors.ts'
import { productParts } from '../control-plane/product-parts.ts'
import { startControlPlane } from '../control-plane/start-control-plane.ts'
import { EXIT } from './exit-codes.ts'
import { onShutdownSignal } from './on-shutdown-signal.ts'
import { paymentProviderFrom } from './payment-provider-from.ts'

/** `gpufleet control-plane`: validate, start, print the bootstrap key once, own SIGTERM. */
export async function runControlPlane (input: Record<string, unknown>): Promise<void> {
  let running: Awaited<ReturnType<typeof startControlPlane>>
  try {
    const { stripeApiBase, ...rest } = input
    const payments = paymentProviderFrom(stripeApiBase as string | undefined)
    const config = parseControlPlaneConfig({ ...rest, ...adminKeyFromEnv(), ...slurmTokenFromEnv() } as ControlPlaneConfigInput)
    running = await startControlPlane(config, productParts({ payments }))
  } catch (err) {
    if (err instanceof ControlPlaneError) {
      const listen = err.code === 'EADDRINUSE' || err.code === 'LISTEN_FAILED'
      process.stderr.write(`gpufleet control-plane: ${err.message}${listen ? '; pick another with --listen' : ''}\n`)
      process.exit(EXIT.USAGE)
    }
    throw err
  }
  // Handlers before the ready line: a signal sent on reading it must meet them (run-up.ts).
  onShutdownSignal('gpufleet control-plane', () => running.close())
  process.stderr.write(`gpufleet control plane listening on ${running.url}\n`)
  if (running.bootstrapKey !== undefined) process.stderr.write(bootstrapNotice(running.bootstrapKey))
}

/** GPUFLEET_SLURM_TOKEN is env-only: a flag would show the JWT in `ps`. */
export function slurmTokenFromEnv (): { slurmToken?: string } {
  const token = process.env.GPUFLEET_SLURM_TOKEN
  return token === undefined || token === '' ? {} : { slurmToken: token.trim() }
}

/** GPUFLEET_ADMIN_KEY is env-only (a flag would show the key in `ps`). */
export function adminKeyFromEnv (): { adminKey?: string } {
  const key = process.env.GPUFLEET_ADMIN_KEY
  return key === undefined || key === '' ? {} : { adminKey: key }
}

export function bootstrapNotice (key: string): string {
  return [
    '',
    'A superadmin API key was generated for this new database. It is shown ONCE; store it now:',
    '',
    `    ${key}`,
    '',
    'Use it as "Authorization: Bearer <key>". Only its SHA-256 is stored.',
    '',
  ].join('\n')
}
