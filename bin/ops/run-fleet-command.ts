import { AgentClient } from '../../shared/sdk/agent-client.ts'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import { snakeize } from '../../shared/sdk/camel-case.ts'
import { ApiError, GpufleetError, InvalidArgumentError, NodeLookupError } from '../../shared/sdk/errors.ts'
import type { OperatorAction } from '../../shared/wire/operator-token.ts'
import { readCaFile } from '../../shared/read-tls-files.ts'
import type { ClientFlags } from '../client-options.ts'
import { EXIT } from '../exit-codes.ts'
import { CliError, usageError } from './cli-error.ts'
import { loadCliConfig, type CliConfig } from './load-cli-config.ts'

export interface FleetContext {
  config: CliConfig
  json: boolean
  controlPlane: () => ControlPlaneClient
  /**
   * The --node's agent for one action: --node URL sends the key to that agent (seed 004 as
   * is); --node HOSTNAME resolves the node through the control plane, which mints a token for
   * that node and action, and only the token reaches the GPU host.
   */
  agent: (action: OperatorAction) => Promise<AgentClient>
  /** Prints `value` as the API's JSON (--json) or `human()` as text for people. */
  print: (value: unknown, human: () => string) => void
}

/** One CLI operation: what `fleetAction` runs with the context, positional arguments and flags. */
export type FleetOp = (ctx: FleetContext, args: string[], opts: Record<string, unknown>) => Promise<void>

/**
 * Runs one fleet command: config → client → the command → exit code. Every failure ends as
 * one line on stderr that says what to do, and an exit code scripts can rely on (exit-codes.ts).
 */
export async function runFleetCommand (flags: ClientFlags, target: 'control-plane' | 'agent', command: (ctx: FleetContext) => Promise<void>): Promise<never> {
  const clients: Array<{ close: () => Promise<void> }> = []
  let config: CliConfig | undefined
  let code: number = EXIT.OK
  try {
    config = loadCliConfig(flags, process.env)
    for (const w of config.warnings) process.stderr.write(`gpufleet: warning: ${w}\n`)
    const c = config
    const apiKey = (): string => {
      if (c.apiKey === undefined) throw usageError(`no API key: pass --api-key, set GPUFLEET_API_KEY, or put "api_key" in ${c.configPath}`)
      return c.apiKey
    }
    const json = flags.json === true
    let ca: Buffer | undefined
    try { ca = flags.caFile === undefined ? undefined : readCaFile(flags.caFile, '--ca-file') } catch (err) { throw usageError((err as Error).message) }
    const tls = ca === undefined ? {} : { ca }
    await command({
      config: c,
      json,
      controlPlane: () => remember(clients, new ControlPlaneClient({ baseUrl: c.url, apiKey: apiKey(), ...tls })),
      agent: async action => {
        if (c.node === undefined) throw usageError('which node? pass --node HOSTNAME or --node http://HOST:9410 (or set GPUFLEET_NODE)')
        if (isUrl(c.node)) return remember(clients, new AgentClient({ baseUrl: c.node, apiKey: apiKey(), ...tls }))
        const cp = remember(clients, new ControlPlaneClient({ baseUrl: c.url, apiKey: apiKey(), ...tls }))
        const agent = await cp.operatorAgent(c.node, { actions: [action] })
        c.agentUrl = agent.baseUrl
        return remember(clients, agent)
      },
      print: (value, human) => { process.stdout.write(json ? `${JSON.stringify(snakeize(value), null, 2)}\n` : human()) },
    })
  } catch (err) {
    const [exit, message] = explain(err, target, config)
    process.stderr.write(`gpufleet: error: ${message}\n`)
    code = exit
  } finally {
    await Promise.all(clients.map(c => c.close().catch(() => {})))
  }
  process.exit(code)
}

function remember<C extends { close: () => Promise<void> }> (list: Array<{ close: () => Promise<void> }>, client: C): C {
  list.push(client)
  return client
}

function explain (err: unknown, target: 'control-plane' | 'agent', config: CliConfig | undefined): [number, string] {
  if (err instanceof CliError) return [err.exitCode, err.message]
  if (err instanceof InvalidArgumentError) return [EXIT.USAGE, `${err.message} (check ${target === 'agent' ? '--node' : '--url'})`]
  if (err instanceof NodeLookupError) return [EXIT.REJECTED, `${err.message} (check --node; \`gpufleet nodes\` lists the hostnames)`]
  // --node HOSTNAME fails at the control plane until the agent's URL is known.
  const atAgent = target === 'agent' && (config?.agentUrl !== undefined || isUrl(config?.node))
  const where = atAgent ? `the agent at ${config?.agentUrl ?? config?.node ?? '?'}` : `the control plane at ${config?.url ?? '?'}`
  if (err instanceof ApiError) {
    const what = `${err.message} (${err.code}, HTTP ${err.statusCode})`
    if (err.statusCode === 401 && config?.agentUrl !== undefined) return [EXIT.AUTH, `${what}: ${where} refused the operator token the control plane minted; is the agent registered with this control plane (and its key pinned)?`]
    if (err.statusCode === 401) return [EXIT.AUTH, `${what}: ${where} did not accept the key; check --api-key or GPUFLEET_API_KEY (or "api_key" in ${config?.configPath ?? 'the config file'})`]
    if (err.statusCode === 403) return [EXIT.AUTH, `${what}: the key is valid but lacks the scope for this; use a key with more permissions (gpufleet keys create --permissions …)`]
    if (err.statusCode === 429) return [EXIT.FAILURE, `${what}: too many requests or failed keys; wait a minute and try again`]
    if (err.statusCode >= 400 && err.statusCode < 500) return [EXIT.REJECTED, `${what}${detailLine(err.details)}`]
    return [EXIT.FAILURE, `${what}: ${where} failed; try again, or look at its logs`]
  }
  if (err instanceof GpufleetError) {
    const flag = atAgent ? '--node' : '--url or GPUFLEET_URL'
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|altnames/i.test(err.message)) {
      return [EXIT.FAILURE, `${err.message} (${err.code}): ${where} serves a certificate this machine does not trust; pass --ca-file with its CA (or set NODE_EXTRA_CA_CERTS), and check the host name in ${flag}`]
    }
    return [EXIT.FAILURE, `${err.message} (${err.code}): is ${where} running and reachable? check ${flag}`]
  }
  return [EXIT.FAILURE, (err as Error)?.message ?? String(err)]
}

function detailLine (details: Record<string, unknown> | undefined): string {
  const issues = details?.issues
  if (!Array.isArray(issues) || issues.length === 0) return ''
  return `\n  ${issues.map(i => `${String((i as { path?: unknown }).path ?? '')}: ${String((i as { message?: unknown }).message ?? '')}`).join('\n  ')}`
}

function isUrl (node: string | undefined): boolean {
  return node !== undefined && /^https?:\/\//i.test(node)
}
