import type { Command } from 'commander'

export type CompletionShell = 'bash' | 'zsh'

interface Word { name: string, description: string }
/** One command of the tree: its path below the program ("jobs list"), subcommands and flags. */
interface Node { path: string, subcommands: Word[], options: Word[] }

/** Every command under `program`, read from commander's tree (nothing per command here). */
export function commandTree (program: Command): Node[] {
  const nodes: Node[] = []
  const walk = (cmd: Command, path: string[]): void => {
    const first = (text: string) => text.split('\n')[0] ?? ''
    nodes.push({
      path: path.join(' '),
      subcommands: cmd.commands.map(c => ({ name: c.name(), description: first(c.description()) })),
      options: [
        ...cmd.options.flatMap(o => [o.long, o.short].filter((f): f is string => f !== undefined).map(name => ({ name, description: first(o.description) }))),
        { name: '--help', description: 'display help for command' },
      ],
    })
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()])
  }
  walk(program, [])
  return nodes
}

/**
 * A completion script for `gpufleet completion bash|zsh`: the words after the program name
 * that name commands pick the node; its subcommands and flags are the candidates.
 */
export function completionScript (program: Command, shell: CompletionShell): string {
  const name = program.name()
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`
  const nodes = commandTree(program)
  const paths = nodes.filter(n => n.path !== '').map(n => `"${n.path}"`).join('|')
  // Which command the words typed so far name (flags and their values are skipped).
  const locate = (from: string, to: string, word: string) => [
    // Not "path": zsh ties that to PATH.
    '  local at="" next w i',
    `  for ((i=${from}; i<${to}; i++)); do`,
    `    w=${word}`,
    '    [[ $w == -* ]] && continue',
    '    next="${at:+$at }$w"',
    `    case "$next" in ${paths}) at="$next";; esac`,
    '  done',
  ]
  if (shell === 'bash') {
    return [
      `# bash completion for ${name}: eval "$(${name} completion bash)" (e.g. in ~/.bashrc)`,
      `${fn}() {`,
      '  local cur="${COMP_WORDS[COMP_CWORD]}" words=""',
      ...locate('1', 'COMP_CWORD', '"${COMP_WORDS[i]}"'),
      '  case "$at" in',
      ...nodes.map(n => `    "${n.path}") words="${[...n.subcommands, ...n.options].map(w => w.name).join(' ')}";;`),
      '  esac',
      '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
      '}',
      `complete -F ${fn} ${name}`,
      '',
    ].join('\n')
  }
  const quote = (w: Word) => `'${`${w.name.replace(/:/g, '\\:')}:${w.description}`.replace(/'/g, '\'\\\'\'')}'`
  return [
    `#compdef ${name}`,
    `# zsh completion for ${name}: eval "$(${name} completion zsh)" after compinit (e.g. in ~/.zshrc)`,
    `${fn}() {`,
    '  local -a subcommands flags',
    ...locate('2', 'CURRENT', '"${words[i]}"'),
    '  case "$at" in',
    ...nodes.map(n => `    "${n.path}") subcommands=(${n.subcommands.map(quote).join(' ')}); flags=(${n.options.map(quote).join(' ')});;`),
    '  esac',
    '  (( ${#subcommands} )) && _describe -t commands command subcommands',
    '  _describe -t options flag flags',
    '}',
    `compdef ${fn} ${name}`,
    '',
  ].join('\n')
}
