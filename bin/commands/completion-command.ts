import { Argument, Command } from 'commander'
import type { CompletionShell } from '../ops/completion-script.ts'

export function completionCommand (): Command {
  return new Command('completion')
    .description('print a shell completion script: eval "$(gpufleet completion bash)"')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action(async (shell: CompletionShell, _opts: unknown, cmd: Command) => {
      const { completionScript } = await import('../ops/completion-script.ts')
      let root = cmd
      while (root.parent !== null) root = root.parent
      process.stdout.write(completionScript(root, shell))
    })
}
