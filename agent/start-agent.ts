import { hostname as osHostname } from 'node:os'
import { serve, type ServerType } from '@hono/node-server'
import pino from 'pino'
import { readCaFile, readTlsFiles, type TlsFiles } from '../shared/read-tls-files.ts'
import { advertisedUrl } from './advertised-url.ts'
import { createAgentApp } from './api/create-agent-app.ts'
import { createOperatorAuth } from './api/operator-auth.ts'
import { createCollector } from './collector/create-collector.ts'
import type { AgentConfig } from './config.ts'
import { AgentError } from './errors.ts'
import { createPurgeAdapters } from './purge/create-purge-adapters.ts'
import { createPurgeService } from './purge/create-purge-service.ts'
import { createUplink } from './uplink/create-uplink.ts'
import { AGENT_VERSION } from './version.ts'

export interface RunningAgent {
  /** Base URL of the operator API, e.g. http://127.0.0.1:9410 (real port when 0 was asked; https: with --tls-cert). */
  url: string
  /** The agent_url registered with the control plane (advertised-url.ts). */
  advertisedUrl: string
  port: number
  stop: () => Promise<void>
}

export interface StartAgentOptions {
  /** Environment handed to nvidia-smi children (tests point the simulator at a state file). */
  env?: NodeJS.ProcessEnv
  log?: pino.Logger
}

/**
 * Wires the agent: collector → (API, /metrics, uplink, purge). Start order: collector first
 * (a missing nvidia-smi fails fast, before anything listens), then uplink, then the API.
 * Stop order is the reverse and written down here: stop accepting requests, flush the uplink
 * (unsent samples land in the spool), then stop the collector so no nvidia-smi child outlives us.
 */
export async function startAgent (config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? pino({ level: config.logLevel, base: { svc: 'gpufleet-agent' } })
  const hostname = config.hostname ?? osHostname()
  const [listenHost, listenPort] = splitHostPort(config.listen)
  // Files and addresses are checked before anything starts: a bad one is a configuration error (exit 2).
  const { tls, controlPlaneCa } = readAgentFiles(config)
  const agentUrl = await advertisedUrl({ listen: config.listen, advertiseUrl: config.advertiseUrl, controlPlane: config.controlPlane, tls: tls !== undefined })

  const collector = createCollector({
    nvidiaSmiPath: config.nvidiaSmi,
    intervalMs: config.intervalMs,
    computeAppsIntervalMs: config.computeAppsIntervalMs,
    log: log.child({ part: 'collector' }),
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  await collector.start()

  const uplink = createUplink({
    controlPlaneUrl: config.controlPlane,
    controlPlaneCa,
    apiKey: config.apiKey,
    cluster: config.cluster,
    region: config.region,
    hostname,
    agentUrl,
    stateDir: config.stateDir,
    spoolMaxBytes: config.spoolMaxBytes,
    intervalMs: config.intervalMs,
    source: collector,
    log: log.child({ part: 'uplink' }),
    agentVersion: AGENT_VERSION,
  })
  await uplink.start()

  const purge = createPurgeService({
    source: collector,
    adapters: createPurgeAdapters(config, { source: collector }),
    settleMs: config.purgeSettleMs,
    log: log.child({ part: 'purge' }),
  })
  const auth = createOperatorAuth({
    controlPlaneUrl: config.controlPlane,
    controlPlaneCa,
    agentApiKey: config.apiKey,
    breakGlassKeySha256: config.breakGlassKeySha256,
    cacheTtlMs: config.keyCacheTtlMs,
    log: log.child({ part: 'auth' }),
  })
  const app = createAgentApp({
    source: collector,
    purge,
    auth,
    uplinkStats: () => uplink.stats(),
    hostname,
    staleAfterMs: config.staleAfterMs,
    metricsToken: config.metricsToken,
    log: log.child({ part: 'api' }),
    version: AGENT_VERSION,
  })

  const { server, port } = await listen(app.fetch, listenHost, listenPort, tls)
  log.info({ listen: `${listenHost}:${port}`, tls: tls !== undefined, agentUrl, nvidiaSmi: config.nvidiaSmi, cluster: config.cluster }, 'agent started')

  let stopped: Promise<void> | undefined
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    advertisedUrl: agentUrl,
    port,
    stop () {
      stopped ??= (async () => {
        await new Promise<void>(resolve => server.close(() => resolve()))
        await uplink.stop()
        await collector.stop()
        log.info({}, 'agent stopped')
      })()
      return stopped
    },
  }
}

function splitHostPort (listen: string): [string, number] {
  const i = listen.lastIndexOf(':')
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))]
}

/** --tls-cert/--tls-key and --control-plane-ca, read and checked; a problem is CONFIG_INVALID naming the flag. */
function readAgentFiles (config: AgentConfig): { tls?: TlsFiles, controlPlaneCa?: Buffer } {
  try {
    return {
      ...(config.tlsCert !== undefined && config.tlsKey !== undefined ? { tls: readTlsFiles({ cert: config.tlsCert, key: config.tlsKey }) } : {}),
      ...(config.controlPlaneCa !== undefined ? { controlPlaneCa: readCaFile(config.controlPlaneCa, '--control-plane-ca') } : {}),
    }
  } catch (err) {
    throw new AgentError('CONFIG_INVALID', `invalid agent configuration:\n  ${(err as Error).message}`)
  }
}

function listen (fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number, tls: TlsFiles | undefined): Promise<{ server: ServerType, port: number }> {
  return new Promise((resolve, reject) => {
    // node:https only when serving TLS: an agent without it does not load the TLS stack.
    const https = tls === undefined ? {} : { createServer: (process.getBuiltinModule('node:https') as typeof import('node:https')).createServer, serverOptions: { cert: tls.cert, key: tls.key } }
    const server = serve({ fetch, hostname, port, ...https }, info => resolve({ server, port: info.port }))
    server.once('error', reject)
  })
}
