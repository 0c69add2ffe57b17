import { Command } from 'commander'
import { agentCommand } from './commands/agent-command.ts'
import { controlPlaneCommand } from './commands/control-plane-command.ts'
import { upCommand } from './commands/up-command.ts'

const program = new Command('gpufleet')
  .description('GPU fleet agent and control plane')
  .showHelpAfterError()
  .addCommand(upCommand())
  .addCommand(controlPlaneCommand())
  .addCommand(agentCommand())

await program.parseAsync(process.argv)
