import { parseAgentConfig, type AgentConfigInput } from '../agent/config.ts'
import { AgentError } from '../agent/errors.ts'
import { startAgent } from '../agent/start-agent.ts'
import { EXIT } from './exit-codes.ts'
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
      process.stderr.write(`gpufleet agent: ${err.message}\n`)
      process.exit(err.code === 'CONFIG_INVALID' ? EXIT.USAGE : EXIT.FAILURE)
    }
    throw err
  }
  process.stderr.write(`gpufleet agent listening on ${agent.url}\n`)
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`gpufleet agent: ${signal}, flushing and stopping\n`)
    agent.stop().then(() => process.exit(EXIT.OK), (err: unknown) => {
      process.stderr.write(`gpufleet agent: stop failed: ${String(err)}\n`)
      process.exit(EXIT.FAILURE)
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}
