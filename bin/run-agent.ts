import { parseAgentConfig, type AgentConfigInput } from '../agent/config.ts'
import { AgentError } from '../agent/errors.ts'
import { startAgent } from '../agent/start-agent.ts'
import { EXIT } from './exit-codes.ts'
import { onShutdownSignal } from './on-shutdown-signal.ts'
import { SIMULATOR_BANNER, SIMULATOR_PATH } from './simulator-path.ts'

/**
 * `gpufleet agent`: validate the config, start, and own SIGTERM/SIGINT (stop in the order
 * startAgent documents: API → uplink flush → collector). Exit codes: 2 for configuration,
 * 1 for a runtime failure such as a missing nvidia-smi.
 */
export async function runAgent (input: Record<string, unknown>, options: { simulate: boolean }): Promise<void> {
  let agent: Awaited<ReturnType<typeof startAgent>>
  try {
    const config = parseAgentConfig({ ...input, ...(options.simulate ? { nvidiaSmi: SIMULATOR_PATH } : {}) } as AgentConfigInput)
    if (options.simulate) process.stderr.write(`${SIMULATOR_BANNER}\n`)
    agent = await startAgent(config)
  } catch (err) {
    if (err instanceof AgentError) {
      const listen = err.code === 'EADDRINUSE' || err.code === 'LISTEN_FAILED'
      process.stderr.write(`gpufleet agent: ${err.message}${listen ? '; pick another with --listen' : ''}\n`)
      process.exit(err.code === 'CONFIG_INVALID' || listen ? EXIT.USAGE : EXIT.FAILURE)
    }
    throw err
  }
  // Handlers before the ready line: a signal sent on reading it must meet them (run-up.ts).
  onShutdownSignal('gpufleet agent', () => agent.stop())
  process.stderr.write(`gpufleet agent listening on ${agent.url}\n`)
}
