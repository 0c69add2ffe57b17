import { join } from 'node:path'
import { parseAgentConfig, type AgentConfig, type AgentConfigInput } from '../../agent/config.ts'
import { SIMULATOR_PATH } from '../../bin/simulator-path.ts'

/**
 * The agent the end-to-end tests start: the nvidia-smi simulator for GPUs, its state under
 * `dir`, a loopback listener and a fast compute-process refresh; `options` add the rest.
 */
export function simAgentConfig (dir: string, options: AgentConfigInput): AgentConfig {
  return parseAgentConfig({
    listen: '127.0.0.1:0',
    stateDir: join(dir, 'state'),
    nvidiaSmi: SIMULATOR_PATH,
    computeAppsIntervalMs: 500,
    ...options,
  })
}
