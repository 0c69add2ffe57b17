import type { Command } from 'commander'
import { envOption } from './env-option.ts'

/** What every fleet command accepts (flag ↔ GPUFLEET_* env; the config file fills the rest). */
export interface ClientFlags {
  url?: string
  node?: string
  apiKey?: string
  config?: string
  json?: boolean
  caFile?: string
}

/**
 * Adds --url (or --node for the agent commands), --api-key, --config and --json, and makes a
 * commander usage error exit 2 like every other usage error (commander's own default is 1).
 */
export function withClientOptions (cmd: Command, target: 'control-plane' | 'agent' = 'control-plane'): Command {
  if (target === 'agent') {
    cmd.addOption(envOption('--node <hostname|url>', 'the node: its hostname (resolved through the control plane, which mints a short-lived operator token for it) or its agent URL, e.g. http://10.0.0.5:9410 (the key goes to the agent)'))
    cmd.addOption(envOption('--url <url>', 'control plane URL, for --node HOSTNAME (default: config file, else http://127.0.0.1:8080)'))
  } else {
    cmd.addOption(envOption('--url <url>', 'control plane URL (default: config file, else http://127.0.0.1:8080)'))
  }
  return cmd
    .addOption(envOption('--api-key <key>', 'API key (default: config file)'))
    .addOption(envOption('--ca-file <path>', 'PEM CA bundle to trust for https:// URLs instead of the system roots (NODE_EXTRA_CA_CERTS adds to them instead)'))
    .addOption(envOption('--config <path>', 'config file (default $XDG_CONFIG_HOME/gpufleet/config.json or ~/.config/gpufleet/config.json)'))
    .option('--json', 'print the API\'s JSON (snake_case) instead of a table')
}

/** A listing: the client options plus --watch (its action is listAction). */
export function listed (cmd: Command): Command {
  return withClientOptions(cmd).option('--watch [seconds]', 'list again every SECONDS (default 2) until Ctrl-C; with --json one JSON document per line each time')
}

/** Applies the usage exit code to a command tree (exitOverride is not inherited by addCommand). */
export function usageExits (cmd: Command): Command {
  cmd.exitOverride(err => { process.exit(err.exitCode === 0 ? 0 : 2) })
  for (const sub of cmd.commands) usageExits(sub)
  return cmd
}
