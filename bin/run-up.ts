import { mkdirSync } from 'node:fs'
import type { Server } from 'node:net'
import { join, resolve } from 'node:path'
import { parseAgentConfig, type AgentConfig } from '../agent/config.ts'
import { AgentError } from '../agent/errors.ts'
import { startAgent } from '../agent/start-agent.ts'
import { parseControlPlaneConfig } from '../control-plane/config.ts'
import { ControlPlaneError } from '../control-plane/errors.ts'
import { productParts } from '../control-plane/product-parts.ts'
import { startControlPlane } from '../control-plane/start-control-plane.ts'
import { EXIT } from './exit-codes.ts'
import { findNvidiaSmi } from './find-nvidia-smi.ts'
import { localAgentKey } from './local-agent-key.ts'
import { listenFailure } from '../shared/listen-failure.ts'
import { onShutdownSignal } from './on-shutdown-signal.ts'
import { paymentProviderFrom } from './payment-provider-from.ts'
import { reservePort } from './reserve-port.ts'
import { adminKeyFromEnv, bootstrapNotice } from './run-control-plane.ts'
import { SIMULATOR_BANNER, SIMULATOR_PATH } from './simulator-path.ts'
import { ensureDemoSimState } from './simulator-demo-state.ts'

/** `gpufleet up`'s options as commander parses them (strings until the config schema reads them). */
export interface UpOptions {
  dataDir?: string
  port?: string
  agentPort?: string
  nvidiaSmi?: string
  logLevel?: string
  sessionTtl?: string
  /** true from the flag; 'true'/'1'/… from GPUFLEET_TRUST_PROXY (the config schema reads both). */
  trustProxy?: boolean | string
  alertWebhookAllowPrivate?: boolean | string
  /** The agent's --job-user (executed jobs; required when up runs as root). */
  jobUser?: string
  /** The agent's --job-kill-grace (SIGTERM → SIGKILL when a job is stopped). */
  jobKillGrace?: string
  /** Without nvidia-smi: `idle` (the simulator's default host) or `demo` (a plausible mix, npm start). */
  simulator?: string
  /** The control plane's --telemetry: sql (default) or vm=… (VictoriaMetrics). */
  telemetry?: string
}

/**
 * `gpufleet up` (`npm start`): the control plane on SQLite under --data-dir and one agent in
 * the same process, the agent pushing to the control plane over loopback HTTP like any
 * other. Stop order: the agent first (its last samples reach the control plane or its
 * spool), then the control plane.
 */
export async function runUp (options: UpOptions): Promise<void> {
  const dataDir = resolve(options.dataDir ?? './data')
  // Human lines only: the servers' pino JSON appears when --log-level asks for it.
  const logLevel = options.logLevel ?? 'silent'
  const cpPort = portOption('--port', options.port ?? '8080')
  const agentPort = portOption('--agent-port', options.agentPort ?? '9410')
  const mix = simulatorOption(options.simulator ?? 'idle')
  try {
    const cpConfig = parseControlPlaneConfig({
      listen: `127.0.0.1:${cpPort}`,
      db: join(dataDir, 'gpufleet.db'),
      logLevel: logLevel as 'warn',
      ...(options.sessionTtl === undefined ? {} : { sessionTtl: options.sessionTtl }),
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy as boolean }),
      ...(options.alertWebhookAllowPrivate === undefined ? {} : { alertWebhookAllowPrivate: options.alertWebhookAllowPrivate as boolean }),
      ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
      ...adminKeyFromEnv(),
    })
    const nvidiaSmi = options.nvidiaSmi ?? findNvidiaSmi()
    const agentAddress = `127.0.0.1:${agentPort}`
    // Every agent-side flag is checked here, before anything is created: a bad one leaves no
    // data dir, database or superadmin key. Only the control plane's URL and the local agent's
    // key wait until the control plane runs (both are made by this function, not typed in).
    const agentBase = parseAgentConfig({
      listen: agentAddress,
      cluster: 'local',
      stateDir: join(dataDir, 'agent'),
      nvidiaSmi: nvidiaSmi ?? SIMULATOR_PATH,
      logLevel: logLevel as 'warn',
      ...(options.jobUser === undefined ? {} : { jobUser: options.jobUser }),
      ...(options.jobKillGrace === undefined ? {} : { jobKillGrace: options.jobKillGrace }),
    })
    // Both ports before anything is created: the agent's is held here until the agent takes it
    // over, and the control plane binds its own before it creates the data dir and the database
    // in it. A taken port leaves no superadmin key behind that nobody was shown.
    const agentSocket = await reservePort('127.0.0.1', agentPort).catch((err: unknown) => {
      const failure = listenFailure(err, agentAddress)
      throw failure === null ? err : new AgentError(failure.code, `${failure.message}; pick another with --agent-port`, { cause: err })
    })
    const cp = await startControlPlane(cpConfig, productParts({ payments: paymentProviderFrom(process.env.GPUFLEET_STRIPE_API_BASE) }))
      .catch(async (err: unknown) => { await closeSocket(agentSocket); throw err })
    let agent: Awaited<ReturnType<typeof startAgent>>
    let simState: string | undefined
    try {
      mkdirSync(dataDir, { recursive: true })
      const apiKey = await localAgentKey(cp.store, dataDir)
      const agentConfig: AgentConfig = Object.freeze({ ...agentBase, controlPlane: cp.url, apiKey })
      if (nvidiaSmi === null) process.stderr.write(`${SIMULATOR_BANNER}\n`)
      // --simulator demo (npm start): a plausible mix (some GPUs busy, one hot, the rest idle),
      // unless the caller names a state file of its own (NVIDIA_SMI_SIM_STATE: the tests do).
      simState = nvidiaSmi === null && mix === 'demo' && !process.env.NVIDIA_SMI_SIM_STATE ? ensureDemoSimState(join(dataDir, 'simulator-state.json')) : undefined
      agent = await startAgent(agentConfig, { listening: agentSocket, ...(simState === undefined ? {} : { env: { NVIDIA_SMI_SIM_STATE: simState } }) })
    } catch (err) {
      // Frees the port if the agent never took it over (a no-op once it did: it closed it).
      await closeSocket(agentSocket)
      await cp.close()
      // The key is stored already: show it now, or nobody ever will.
      if (cp.bootstrapKey !== undefined) process.stdout.write(bootstrapNotice(cp.bootstrapKey))
      throw err
    }
    // The handlers go in before the ready line: a caller that sends SIGTERM as soon as it reads
    // "gpufleet is up" (a test, a supervisor) must get the graceful stop. Installed after it,
    // a signal landing between the write and the install met the default action and killed
    // the process outright (up.test.ts's second start, now and then on a loaded host).
    onShutdownSignal('gpufleet up', async () => {
      await agent.stop()
      await cp.close()
    })
    process.stdout.write([
      'gpufleet is up.',
      `  console        ${cp.url}/          (log in with an admin key)`,
      `  control plane  ${cp.url}          (API; ${cp.url}/openapi.json describes it)`,
      `  agent          ${agent.url}          (/v1/gpu/status with a superadmin key, /metrics, /healthz)`,
      `  data           ${dataDir}`,
      `  GPUs           ${nvidiaSmi === null ? 'SIMULATED (8× NVIDIA B200): no nvidia-smi on this host' : nvidiaSmi}`,
      ...(simState === undefined ? [] : [`  simulator      ${simState}          (GPUs 0-3 busy, 4 hot, 5-7 idle; edit to change)`]),
      '',
    ].join('\n'))
    if (cp.bootstrapKey !== undefined) process.stdout.write(bootstrapNotice(cp.bootstrapKey))
  } catch (err) {
    if (err instanceof ControlPlaneError && isListenCode(err.code)) {
      process.stderr.write(`gpufleet up: ${err.message}; pick another with --port\n`)
      process.exit(EXIT.USAGE)
    }
    if (err instanceof ControlPlaneError || (err instanceof AgentError && (err.code === 'CONFIG_INVALID' || isListenCode(err.code)))) {
      process.stderr.write(usageLines(err.message))
      process.exit(EXIT.USAGE)
    }
    if (err instanceof AgentError) {
      process.stderr.write(`gpufleet up: ${err.message}\n`)
      process.exit(EXIT.FAILURE)
    }
    throw err
  }
}

/**
 * `gpufleet up: …` lines. A config error (a header such as "invalid agent configuration:", then
 * one indented line per option) becomes one line per bad flag: up's operator typed flags and
 * need not know which half of up reads each.
 */
function usageLines (message: string): string {
  const problems = /^invalid [\w-]+ configuration:\n/.test(message) ? message.split('\n').slice(1) : [message]
  return problems.map(line => `gpufleet up: ${line.trim()}\n`).join('')
}

const isListenCode = (code: string): boolean => code === 'EADDRINUSE' || code === 'LISTEN_FAILED'

const closeSocket = (socket: Server): Promise<void> => new Promise(resolve => socket.close(() => resolve()))

function simulatorOption (value: string): 'idle' | 'demo' {
  if (value === 'idle' || value === 'demo') return value
  process.stderr.write(`gpufleet up: --simulator must be idle or demo, got ${JSON.stringify(value)}\n`)
  process.exit(EXIT.USAGE)
}

/** A port flag of `up` (0 = any free port), checked here so the message names the flag the operator typed. */
function portOption (flag: string, value: string): number {
  const port = Number(value)
  if (/^\d+$/.test(value) && port <= 65535) return port
  process.stderr.write(`gpufleet up: ${flag} must be a port number 0..65535, got ${JSON.stringify(value)}\n`)
  process.exit(EXIT.USAGE)
}
