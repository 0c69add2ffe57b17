import type { Test } from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { parseControlPlaneConfig } from '../../control-plane/config.ts'
import { startControlPlane } from '../../control-plane/start-control-plane.ts'
import { productParts } from '../../control-plane/product-parts.ts'
import { startAgent } from '../../agent/start-agent.ts'
import { startFakeOllama } from '../fakes/runtimes/start-fake-ollama.ts'
import { defaultSimState, writeSimState } from '../fakes/sim-state.ts'
import { ControlPlaneClient } from '../../shared/sdk/control-plane-client.ts'
import type { Store } from '../../control-plane/store/store.ts'
import { closedUrl } from '../helpers/closed-url.ts'
import { simAgentConfig } from '../helpers/sim-agent-config.ts'

export interface LiveFleet {
  /** Control plane base URL (a real server on 127.0.0.1, port 0). */
  cpUrl: string
  /** The bootstrapped superadmin key: also the agent's operator key (introspected). */
  rootKey: string
  /** Agent operator API URL, when started with `agent: true`. */
  agentUrl: string
  clusterId: number
  client: ControlPlaneClient
  /** This test's t.testdir() (calling it again would wipe the agent's files): make subfolders. */
  dir: string
  /** The control plane's own store, for state no API call makes on demand (an alert event). */
  store: Store
}

/**
 * The whole product on loopback, wired as `gpufleet up` wires it: the control plane with every
 * router and loop on an in-memory store, one cluster, and (optionally) a real agent on the
 * nvidia-smi simulator pushing to it, with a fake Ollama holding 40 GiB on GPU 0 to purge.
 */
export async function startLiveFleet (t: Test, options: { agent?: boolean } = {}): Promise<LiveFleet> {
  const log = pino({ level: 'silent' })
  const parts = productParts()
  const cp = await startControlPlane(parseControlPlaneConfig({ listen: '127.0.0.1:0', db: ':memory:' }), { log, routers: parts.routers, loops: parts.loops })
  t.teardown(() => cp.close())
  const rootKey = cp.bootstrapKey
  if (rootKey === undefined) throw new Error('no bootstrap key')
  const client = new ControlPlaneClient({ baseUrl: cp.url, apiKey: rootKey })
  t.teardown(() => client.close())
  const cluster = await client.createCluster({ name: 'lab', region: 'yto-01' })

  const dir = t.testdir()
  let agentUrl = ''
  if (options.agent === true) {
    const simState = join(dir, 'sim.json')
    writeSimState(simState, defaultSimState(8))
    const ollama = await startFakeOllama({ simStatePath: simState, models: [{ name: 'qwen-3.5-27b', gpuIndex: 0, usedMemoryMib: 40960 }] })
    t.teardown(() => ollama.close())
    // A port picked up front, not 0: the agent registers its listen address as agent_url, and
    // `--node HOSTNAME` / operatorAgent() reach it through that.
    const agentPort = new URL(await closedUrl()).port
    const agent = await startAgent(simAgentConfig(dir, {
      listen: `127.0.0.1:${agentPort}`,
      controlPlane: cp.url,
      apiKey: cluster.apiKey,
      cluster: 'lab',
      hostname: 'edge-01',
      intervalMs: 200,
      ollamaUrl: ollama.url,
      purgeSettleMs: 5000,
    }), { env: { ...process.env, NVIDIA_SMI_SIM_STATE: simState }, log })
    t.teardown(() => agent.stop())
    agentUrl = agent.url
  }
  return { cpUrl: cp.url, rootKey, agentUrl, clusterId: cluster.id, client, dir, store: cp.store }
}

/** Polls until `fn` returns a value (the agent needs a tick or two before it answers 200). */
export async function eventually<T> (fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(r => setTimeout(r, 100))
  }
}
