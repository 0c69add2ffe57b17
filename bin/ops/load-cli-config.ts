import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ClientFlags } from '../client-options.ts'
import { usageError } from './cli-error.ts'

export const DEFAULT_URL = 'http://127.0.0.1:8080'

export interface CliConfig {
  url: string
  node: string | undefined
  /** The agent URL --node HOSTNAME resolved to (for error messages), once resolved. */
  agentUrl?: string
  apiKey: string | undefined
  /** Where each came from, for error hints ("check --api-key or GPUFLEET_API_KEY"). */
  configPath: string
  warnings: string[]
}

interface FileConfig { url?: string, api_key?: string }

/**
 * Precedence: flag > environment (commander's env twins already merged these) > config file >
 * default. The config file is optional at its default path and required when named.
 */
export function loadCliConfig (flags: ClientFlags, env: NodeJS.ProcessEnv): CliConfig {
  const named = flags.config
  const path = named ?? defaultConfigPath(env)
  const warnings: string[] = []
  const file = readConfigFile(path, named !== undefined, warnings)
  return {
    url: flags.url ?? file.url ?? DEFAULT_URL,
    node: flags.node,
    apiKey: flags.apiKey ?? file.api_key,
    configPath: path,
    warnings,
  }
}

export function defaultConfigPath (env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'gpufleet', 'config.json')
}

function readConfigFile (path: string, required: boolean, warnings: string[]): FileConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw usageError(`cannot read the config file ${path}: ${(err as Error).message}`)
  }
  let value: unknown
  try { value = JSON.parse(text) } catch (err) { throw usageError(`config file ${path} is not valid JSON: ${(err as Error).message}`) }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw usageError(`config file ${path} must hold a JSON object such as {"url": "http://127.0.0.1:8080", "api_key": "gfk_…"}`)
  const config = value as Record<string, unknown>
  const unknown = Object.keys(config).filter(k => k !== 'url' && k !== 'api_key')
  if (unknown.length > 0) throw usageError(`config file ${path}: unknown key(s) ${unknown.join(', ')} (allowed: url, api_key)`)
  for (const k of ['url', 'api_key']) {
    if (config[k] !== undefined && (typeof config[k] !== 'string' || config[k] === '')) throw usageError(`config file ${path}: ${k} must be a non-empty string`)
  }
  // The file holds a key: say so when others may read it (like ssh does for private keys).
  if (config.api_key !== undefined && (statSync(path).mode & 0o077) !== 0) warnings.push(`${path} holds an API key and is readable by others: chmod 600 ${path}`)
  return config as FileConfig
}
