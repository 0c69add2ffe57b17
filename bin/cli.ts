import { Command } from 'commander'
import { agentCommand } from './commands/agent-command.ts'

const program = new Command('gpufleet')
  .description('GPU fleet agent and control plane')
  .showHelpAfterError()
  .addCommand(agentCommand())

await program.parseAsync(process.argv)
