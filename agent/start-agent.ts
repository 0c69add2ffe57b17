import { hostname as osHostname, uptime } from 'node:os'
import type { AddressInfo, Server as NetServer } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import pino from 'pino'
import { readCaFile, readTlsFiles, type TlsFiles } from '../shared/read-tls-files.ts'
import { advertisedUrl } from './advertised-url.ts'
import { createAgentApp } from './api/create-agent-app.ts'
import { createOperatorAuth } from './api/operator-auth.ts'
import { createOperatorTokenVerifier } from './api/verify-operator-token.ts'
import { createCollector } from './collector/create-collector.ts'
import { createXidWatch } from './collector/create-xid-watch.ts'
import { replayEarlySnapshots } from './replay-early-snapshots.ts'
import type { AgentConfig } from './config.ts'
import { AgentError } from './errors.ts'
import { listenFailure } from '../shared/listen-failure.ts'
import { createPurgeAdapters } from './purge/create-purge-adapters.ts'
import { createPurgeService } from './purge/create-purge-service.ts'
import { createUplink } from './uplink/create-uplink.ts'
import { createUpstream } from './uplink/create-upstream.ts'
import { attributeProcesses } from './jobs/attribute-processes.ts'
import { createProcessReporter } from './jobs/create-process-reporter.ts'
import type { JobOfPid } from './jobs/job-of-pid.ts'
import { startJobs, type RunningJobs } from './jobs/start-jobs.ts'
import { realTimers } from '../shared/timers.ts'
import type { UplinkStats } from './uplink/uplink-stats.ts'
import { AGENT_VERSION } from './version.ts'

export interface RunningAgent {
  /** Base URL of the operator API, e.g. http://127.0.0.1:9410 (real port when 0 was asked; https: with --tls-cert). */
  url: string
  /** The agent_url registered with the control plane (advertised-url.ts). */
  advertisedUrl: string
  port: number
  /** The job whose session a pid belongs to (GPU process attribution); null without --jobs or for other processes. */
  jobOfPid: (pid: number) => { job_id: number, run: number } | null
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
  /**
   * A socket already listening on `config.listen`'s address (bin/reserve-port.ts): the API
   * takes it over instead of binding, so `gpufleet up` can hold the agent's port before the
   * control plane creates its database. Once the API listens on it, it closes with the API's
   * server; a start that fails before then leaves it to the caller to close.
   */
  listening?: NetServer
}

const CLOSE_DEADLINE_MS = 3000

/**
 * Wires the agent: collector → (API, /metrics, uplink, purge). Start order: configuration
 * files and the advertised URL first (a bad one is CONFIG_INVALID before anything starts),
 * then the collector (a missing nvidia-smi fails fast, before anything listens), then the API
 * (so the agent_url registered carries the real port when 0 was asked), then the uplink.
 * Stop order is the reverse and written down here: stop accepting requests and, meanwhile,
 * flush the uplink (unsent samples land in the spool); then stop the collector so no
 * nvidia-smi child outlives us. Both the drain (closeDeadlineMs) and the flush (the uplink's
 * flushTimeoutMs) are bounded, so SIGTERM exits within seconds whatever clients do.
 */
export async function startAgent (config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? pino({ level: config.logLevel, base: { svc: 'gpufleet-agent' } })
  const hostname = config.hostname ?? osHostname()
  const [listenHost, listenPort] = splitHostPort(config.listen)
  // Files and addresses are checked before anything starts: a bad one is a configuration error (exit 2).
  const { tls, controlPlaneCa } = readAgentFiles(config)
  const advertise = (listen: string): Promise<string> => advertisedUrl({ listen, advertiseUrl: config.advertiseUrl, controlPlane: config.controlPlane, tls: tls !== undefined })
  let agentUrl = await advertise(config.listen)

  const collector = createCollector({
    nvidiaSmiPath: config.nvidiaSmi,
    intervalMs: config.intervalMs,
    computeAppsIntervalMs: config.computeAppsIntervalMs,
    log: log.child({ part: 'collector' }),
    ...(options.env === undefined ? {} : { env: options.env }),
  })
  await collector.start()
  const ticks = replayEarlySnapshots(collector)
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
    controlPlaneCa,
    agentApiKey: config.apiKey,
    breakGlassKeySha256: config.breakGlassKeySha256,
    cacheTtlMs: config.keyCacheTtlMs,
    log: authLog,
    tokens: createOperatorTokenVerifier({
      keys: () => uplink?.state()?.operatorTokenKeys ?? [],
      identity: () => ({ nodeId: uplink?.state()?.nodeId ?? null, clusterId: uplink?.state()?.clusterId ?? null }),
      minEpoch: () => auth.currentEpoch?.() ?? null,
      log: authLog,
    }),
  })

  const purge = createPurgeService({
    source: collector,
    adapters: createPurgeAdapters(config, { source: collector }),
    settleMs: config.purgeSettleMs,
    log: log.child({ part: 'purge' }),
  })
  // GPU processes and the executed job each belongs to (issue 15): the executor's jobOfPid
  // (by session) once jobs run (below); with --no-jobs every process has job_id null.
  let jobs: RunningJobs | undefined
  const jobOfPid: JobOfPid = pid => jobs?.jobOfPid(pid) ?? null
  const processesNow = () => {
    const apps = collector.computeApps()
    if (apps === null || Date.now() - apps.readAt > Math.max(config.staleAfterMs, 3 * config.computeAppsIntervalMs)) return null
    return attributeProcesses(apps.apps, jobOfPid)
  }
  // Created once the API listens (below): until then /healthz and /metrics read "not registered".
  let uplink: Uplink | undefined
  const app = createAgentApp({
    source: collector,
    purge,
    auth,
    uplinkStats: () => uplink?.stats() ?? UPLINK_NOT_STARTED,
    hostname,
    staleAfterMs: config.staleAfterMs,
    metricsToken: config.metricsToken,
    log: log.child({ part: 'api' }),
    version: AGENT_VERSION,
    xids,
    processes: processesNow,
  })

  let listening: Awaited<ReturnType<typeof listen>>
  try {
    listening = await listen(app.fetch, listenHost, listenPort, tls, options.listening)
  } catch (err) {
    await collector.stop()
    const failure = listenFailure(err, `${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${listenPort}`)
    throw failure === null ? err : new AgentError(failure.code, failure.message, { cause: err })
  }
  const { server, port } = listening
  // Port 0 (tests, `gpufleet up --agent-port 0`): register the port the kernel gave.
  if (listenPort === 0) agentUrl = await advertise(`${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`)
  const started = createUplink({
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
    source: ticks,
    ...(xids !== undefined && { xids }),
    log: log.child({ part: 'uplink' }),
    agentVersion: AGENT_VERSION,
    repinOperatorKey: config.repinOperatorKey,
    onRevocationEpoch: epoch => auth.revocationEpoch?.(epoch),
  })
  uplink = started
  try {
    await started.start()
  } catch (err) {
    await new Promise<void>(resolve => server.close(() => resolve()))
    await collector.stop()
    throw err
  }
  // Executed jobs (issue 15): re-adopts what a previous agent started, then long-polls assignments.
  if (config.jobs) {
    try {
      jobs = startJobs({
        controlPlaneUrl: config.controlPlane,
        controlPlaneCa,
        apiKey: config.apiKey,
        userAgent: `gpufleet-agent/${AGENT_VERSION} (${started.state()?.agentId ?? 'unknown'})`,
        stateDir: config.stateDir,
        hostname,
        jobUser: config.jobUser,
        killGraceMs: config.jobKillGrace,
        logMaxBytes: config.jobLogMax,
        log: log.child({ part: 'jobs' }),
      })
    } catch (err) {
      await Promise.all([new Promise<void>(resolve => server.close(() => resolve())), started.stop()])
      await collector.stop()
      throw err
    }
    if (config.jobUser === undefined && process.getuid?.() === 0) log.warn({}, 'no --job-user: this agent runs as root and never runs jobs as root, so assigned jobs will fail to launch (or start it with --no-jobs)')
  }
  const processUpstream = createUpstream({ baseUrl: config.controlPlane, apiKey: config.apiKey, userAgent: `gpufleet-agent/${AGENT_VERSION}`, ca: controlPlaneCa })
  const processes = createProcessReporter({ upstream: processUpstream, hostname, read: processesNow, log: log.child({ part: 'processes' }) })
  processes.start()
  log.info({ listen: `${listenHost}:${port}`, tls: tls !== undefined, agentUrl, nvidiaSmi: config.nvidiaSmi, cluster: config.cluster, jobs: config.jobs }, 'agent started')

  let stopped: Promise<void> | undefined
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    advertisedUrl: agentUrl,
    port,
    jobOfPid: pid => jobs?.jobOfPid(pid) ?? null,
    stop () {
      stopped ??= (async () => {
        // The jobs stop being watched, not running: the next agent re-adopts them.
        await Promise.all([closeServer(server, options.closeDeadlineMs ?? CLOSE_DEADLINE_MS), started.stop(), processes.stop(), jobs?.stop()])
        await processUpstream.close()
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

const UPLINK_NOT_STARTED: UplinkStats = Object.freeze({
  registered: false, nodeId: null, spoolBytes: 0, spoolSamples: 0, spoolDropped: 0, spoolCorrupt: 0,
  pushFailures: 0, pushedSamples: 0, rejectedSamples: 0, lastPushAt: null, lastError: null,
})

type Uplink = ReturnType<typeof createUplink>

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

/** Binds hostname:port, or takes over `held`, a socket listening there already. */
function listen (fetch: Parameters<typeof createAdaptorServer>[0]['fetch'], hostname: string, port: number, tls: TlsFiles | undefined, held?: NetServer): Promise<{ server: ServerType, port: number }> {
  return new Promise((resolve, reject) => {
    // node:https only when serving TLS: an agent without it does not load the TLS stack.
    const https = tls === undefined ? {} : { createServer: (process.getBuiltinModule('node:https') as typeof import('node:https')).createServer, serverOptions: { cert: tls.cert, key: tls.key } }
    const server = createAdaptorServer({ fetch, hostname, ...https })
    server.once('error', reject)
    const ready = () => resolve({ server, port: (server.address() as AddressInfo).port })
    if (held === undefined) server.listen(port, hostname, ready)
    else server.listen(held, ready)
  })
}
