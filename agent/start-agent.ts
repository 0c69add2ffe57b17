import { hostname as osHostname, uptime } from 'node:os'
import { serve, type ServerType } from '@hono/node-server'
import pino from 'pino'
import { createAgentApp } from './api/create-agent-app.ts'
import { createOperatorAuth } from './api/operator-auth.ts'
import { createOperatorTokenVerifier } from './api/verify-operator-token.ts'
import { createCollector } from './collector/create-collector.ts'
import { createXidWatch } from './collector/create-xid-watch.ts'
import type { AgentConfig } from './config.ts'
import { createPurgeAdapters } from './purge/create-purge-adapters.ts'
import { createPurgeService } from './purge/create-purge-service.ts'
import { createUplink } from './uplink/create-uplink.ts'
import { realTimers } from './uplink/timers.ts'
import { AGENT_VERSION } from './version.ts'

export interface RunningAgent {
  /** Base URL of the operator API, e.g. http://127.0.0.1:9410 (real port when 0 was asked). */
  url: string
  port: number
  stop: () => Promise<void>
}

export interface StartAgentOptions {
  /** Environment handed to nvidia-smi children (tests point the simulator at a state file). */
  env?: NodeJS.ProcessEnv
  log?: pino.Logger
  /**
   * On stop, how long requests in progress may take before their connections are cut
   * (default 3 s): a client trickling a request, or holding a keep-alive connection, must not
   * keep the agent from exiting. Idle keep-alive connections close at once.
   */
  closeDeadlineMs?: number
}

const CLOSE_DEADLINE_MS = 3000

/**
 * Wires the agent: collector → (API, /metrics, uplink, purge). Start order: collector first
 * (a missing nvidia-smi fails fast, before anything listens), then uplink, then the API.
 * Stop order is the reverse and written down here: stop accepting requests and, meanwhile,
 * flush the uplink (unsent samples land in the spool); then stop the collector so no
 * nvidia-smi child outlives us. Both the drain (closeDeadlineMs) and the flush (the uplink's
 * flushTimeoutMs) are bounded, so SIGTERM exits within seconds whatever clients do.
 */
export async function startAgent (config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? pino({ level: config.logLevel, base: { svc: 'gpufleet-agent' } })
  const hostname = config.hostname ?? osHostname()
  const [listenHost, listenPort] = splitHostPort(config.listen)

  const collector = createCollector({
    nvidiaSmiPath: config.nvidiaSmi,
    intervalMs: config.intervalMs,
    computeAppsIntervalMs: config.computeAppsIntervalMs,
    log: log.child({ part: 'collector' }),
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  await collector.start()
  const xids = config.kernelLog === '' ? undefined : createXidWatch({
    path: config.kernelLog,
    intervalMs: config.computeAppsIntervalMs,
    timers: realTimers,
    now: Date.now,
    bootTimeMs: Date.now() - uptime() * 1000,
    log: log.child({ part: 'xid' }),
  })
  xids?.start()

  // Before the uplink, which feeds it the revocation epoch from each push acknowledgement;
  // tokens are checked against the keys and identity the uplink keeps in the state file.
  const authLog = log.child({ part: 'auth' })
  const auth = createOperatorAuth({
    controlPlaneUrl: config.controlPlane,
    agentApiKey: config.apiKey,
    breakGlassKeySha256: config.breakGlassKeySha256,
    cacheTtlMs: config.keyCacheTtlMs,
    log: authLog,
    tokens: createOperatorTokenVerifier({
      keys: () => uplink.state()?.operatorTokenKeys ?? [],
      identity: () => ({ nodeId: uplink.state()?.nodeId ?? null, clusterId: uplink.state()?.clusterId ?? null }),
      minEpoch: () => auth.currentEpoch?.() ?? null,
      log: authLog,
    }),
  })

  const uplink = createUplink({
    controlPlaneUrl: config.controlPlane,
    apiKey: config.apiKey,
    cluster: config.cluster,
    region: config.region,
    hostname,
    agentUrl: `http://${config.listen}`,
    stateDir: config.stateDir,
    spoolMaxBytes: config.spoolMaxBytes,
    intervalMs: config.intervalMs,
    source: collector,
    ...(xids !== undefined && { xids }),
    log: log.child({ part: 'uplink' }),
    agentVersion: AGENT_VERSION,
    repinOperatorKey: config.repinOperatorKey,
    onRevocationEpoch: epoch => auth.revocationEpoch?.(epoch),
  })
  await uplink.start()

  const purge = createPurgeService({
    source: collector,
    adapters: createPurgeAdapters(config, { source: collector }),
    settleMs: config.purgeSettleMs,
    log: log.child({ part: 'purge' }),
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
    xids,
  })

  const { server, port } = await listen(app.fetch, listenHost, listenPort)
  log.info({ listen: `${listenHost}:${port}`, nvidiaSmi: config.nvidiaSmi, cluster: config.cluster }, 'agent started')

  let stopped: Promise<void> | undefined
  return {
    url: `http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    port,
    stop () {
      stopped ??= (async () => {
        await Promise.all([closeServer(server, options.closeDeadlineMs ?? CLOSE_DEADLINE_MS), uplink.stop()])
        await collector.stop()
        xids?.stop()
        log.info({}, 'agent stopped')
      })()
      return stopped
    },
  }
}

/** Stop accepting; close idle keep-alive sockets now and any still busy after `deadlineMs`. */
function closeServer (server: ServerType, deadlineMs: number): Promise<void> {
  return new Promise<void>(resolve => {
    const http = 'closeAllConnections' in server ? server : null
    const cut = setTimeout(() => http?.closeAllConnections(), deadlineMs)
    server.close(() => { clearTimeout(cut); resolve() })
    http?.closeIdleConnections()
  })
}

function splitHostPort (listen: string): [string, number] {
  const i = listen.lastIndexOf(':')
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))]
}

function listen (fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<{ server: ServerType, port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, info => resolve({ server, port: info.port }))
    server.once('error', reject)
  })
}
