import { Command } from 'commander'
import { agentCommand } from './commands/agent-command.ts'
import { controlPlaneCommand } from './commands/control-plane-command.ts'
import { upCommand } from './commands/up-command.ts'
import { keysCommand } from './commands/keys-command.ts'
import { gpuCommand } from './commands/gpu-command.ts'
import { jobsCommand } from './commands/jobs-command.ts'
import { fleetListCommands } from './commands/fleet-list-commands.ts'
import { billingCommands } from './commands/billing-commands.ts'
import { completionCommand } from './commands/completion-command.ts'
import { usageExits } from './client-options.ts'
import { CONTROL_PLANE_VERSION as CLI_VERSION } from '../control-plane/version.ts'

/** The whole command tree (apart from parsing, so the completion test can read it). */
export function buildProgram (): Command {
  const program = new Command('gpufleet')
    .description('GPU fleet agent and control plane')
    .version(CLI_VERSION, '-V, --version', 'print the gpufleet version')
    .showHelpAfterError()
    .addCommand(upCommand())
    .addCommand(controlPlaneCommand())
    .addCommand(agentCommand())

  // The operator commands (over the SDK).
  for (const cmd of [keysCommand(), gpuCommand(), jobsCommand(), ...fleetListCommands(), ...billingCommands(), completionCommand()]) program.addCommand(cmd)
  // Every commander usage error (unknown option, missing value, unknown command) exits 2 (exit-codes.ts).
  return usageExits(program)
}
