import type { Command } from 'commander'
import type { FleetOp } from './ops/run-fleet-command.ts'

export type { FleetOp }

/**
 * A commander action that loads its operation (and the SDK) only when it runs: `gpufleet
 * agent` shares this CLI and must not pay for the fleet commands' modules (memory).
 */
export function fleetAction (target: 'control-plane' | 'agent', load: () => Promise<FleetOp>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command
    const opts = command.opts()
    // A variadic argument (jobs submit's command) arrives as one array: its words in order.
    const positional = args.slice(0, -2).flat().filter((a): a is string => typeof a === 'string')
    const [op, { runFleetCommand }] = await Promise.all([load(), import('./ops/run-fleet-command.ts')])
    await runFleetCommand(opts, target, ctx => op(ctx, positional, opts))
  }
}

/** A listing's action: fleetAction plus `--watch [SECONDS]` (ops/watching.ts; listed() adds the flag). */
export function listAction (load: () => Promise<FleetOp>) {
  return fleetAction('control-plane', async () => {
    const [op, { watching }] = await Promise.all([load(), import('./ops/watching.ts')])
    return watching(op)
  })
}
