import t from 'tap'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { buildProgram } from '../../bin/build-program.ts'
import { commandTree, completionScript } from '../../bin/ops/completion-script.ts'

const program = buildProgram()

t.test('the bash script names every top-level command and every subcommand, read from the tree', async t => {
  const script = completionScript(program, 'bash')
  const top = program.commands.map(c => c.name())
  t.ok(top.includes('tenants') && top.includes('completion') && top.includes('rates'), 'the new commands are in the tree')
  const rootWords = script.match(/^ {4}""\) words="([^"]*)";;$/m)?.[1]?.split(' ') ?? []
  for (const name of top) t.ok(rootWords.includes(name), `top level: ${name}`)
  t.ok(rootWords.includes('--version'), 'the program\'s own flags')
  const walk = (cmd: Command, path: string[]): void => {
    for (const sub of cmd.commands) {
      const words = script.match(new RegExp(`^ {4}"${path.join(' ')}"\\) words="([^"]*)";;$`, 'm'))?.[1]?.split(' ') ?? []
      t.ok(words.includes(sub.name()), `${[...path, sub.name()].join(' ')} offered after "${path.join(' ')}"`)
      walk(sub, [...path, sub.name()])
    }
  }
  walk(program, [])
  const jobsList = script.match(/^ {4}"jobs list"\) words="([^"]*)";;$/m)?.[1]?.split(' ') ?? []
  for (const flag of ['--status', '--watch', '--json', '--help']) t.ok(jobsList.includes(flag), `jobs list ${flag}`)
  t.match(script, /^ {4}"alerts rules set"\) words="[^"]*--no-webhook/m, 'a nested command\'s flags')
  t.match(script, /complete -F _gpufleet gpufleet\n$/)
})

t.test('bash completes what is typed after the command words typed so far', async t => {
  const file = join(t.testdir(), 'gpufleet.bash')
  writeFileSync(file, completionScript(program, 'bash'))
  const complete = (...words: string[]) => spawnSync('bash', ['-c', `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gpufleet; echo "\${COMPREPLY[*]}"`, file, 'gpufleet', ...words], { encoding: 'utf8' }).stdout.trim()
  t.equal(complete('ten'), 'tenants')
  t.equal(complete('tenants', ''), 'list create update delete --help')
  t.equal(complete('jobs', 'list', '--st'), '--status')
  t.equal(complete('jobs', 'list', '--status', 'queued', '--wa'), '--watch', 'a flag\'s value is not a command word')
  t.equal(complete('alerts', 'rules', 'set', '--no'), '--no-webhook')
})

t.test('zsh: one case per command with descriptions, quotes escaped, never the PATH-tied "path"', async t => {
  const script = completionScript(program, 'zsh')
  t.match(script, /^#compdef gpufleet\n/)
  t.equal(script.match(/^ {4}"[^"]*"\) subcommands=/gm)?.length, commandTree(program).length)
  t.match(script, /'tenants:tenants \(default: list\); create, update or delete one \(admin key\)'/)
  t.match(script, /'--no-webhook:remove the webhook'/)
  t.notMatch(script, /\bpath=/)
  t.match(script, /'delete:delete a tenant: its jobs are unlinked, its waiting jobs cancelled'/)
  t.match(script, /compdef _gpufleet gpufleet\n$/)
})
