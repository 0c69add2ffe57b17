import type { gpuStatusBody } from '../../agent/api/gpu-status-body.ts'
import type { gpuMemoryBody } from '../../agent/api/gpu-memory-body.ts'
import type { PurgeResult } from '../wire/purge-types.ts'
import type { Camel } from './camel-case.ts'
import { createTransport, type ClientOptions, type Transport } from './http-transport.ts'

// Types only: the shapes come from the agent's own body builders, so they cannot drift.
export type GpuStatus = Camel<ReturnType<typeof gpuStatusBody>>
export type GpuMemory = Camel<ReturnType<typeof gpuMemoryBody>>
export type GpuPurgeResult = Camel<PurgeResult>

/** A purge waits for memory to settle (15 s by default) and for SIGTERM grace with force. */
const PURGE_TIMEOUT_MS = 120_000

/**
 * Seed 004's client for one edge node's operator API (a superadmin key, or an operator token
 * from ControlPlaneClient.operatorAgent()):
 * `client.getGPUStatus()`, `client.getGPUMemory()`, `client.purgeGPU({ force: false })`.
 */
export class AgentClient {
  readonly #http: Transport
  /** The agent's base URL, as given. */
  readonly baseUrl: string

  constructor (options: ClientOptions) {
    this.#http = createTransport(options)
    this.baseUrl = options.baseUrl
  }

  getGPUStatus (): Promise<GpuStatus> {
    return this.#http.request('GET', '/v1/gpu/status')
  }

  getGPUMemory (): Promise<GpuMemory> {
    return this.#http.request('GET', '/v1/gpu/memory')
  }

  /** Not retried: a purge is not idempotent (a retry could unload what was loaded since). */
  purgeGPU (options: { force?: boolean, timeoutMs?: number } = {}): Promise<GpuPurgeResult> {
    return this.#http.request('POST', '/v1/gpu/purge', { body: { force: options.force ?? false }, timeoutMs: options.timeoutMs ?? PURGE_TIMEOUT_MS })
  }

  /** Ends this client's keep-alive connections. */
  close (): Promise<void> {
    return this.#http.close()
  }
}
