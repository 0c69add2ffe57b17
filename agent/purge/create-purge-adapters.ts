import type { AgentConfig } from '../config.ts'
import type { GpuSource } from '../gpu-source.ts'
import { createOllamaAdapter } from './create-ollama-adapter.ts'
import { createProcessAdapter } from './create-process-adapter.ts'
import { createTritonAdapter } from './create-triton-adapter.ts'
import { createVllmAdapter } from './create-vllm-adapter.ts'
import type { PurgeAdapter } from '../../shared/wire/purge-types.ts'

export type PurgeAdaptersConfig = Pick<AgentConfig, 'ollamaUrl' | 'vllmUrls' | 'vllmApiKey' | 'vllmSleepLevel' | 'tritonUrl' | 'purgeProcessAllow' | 'purgeGraceMs'>

/**
 * The adapters this host's config asks for: one per configured runtime (one per vLLM server),
 * and the process adapter only when an allow-list is set (signalling is opt-in). Triton's
 * metrics are read from the same host on port 8002, Triton's default `--metrics-port`.
 */
export function createPurgeAdapters (config: PurgeAdaptersConfig, deps: { source: Pick<GpuSource, 'refreshComputeApps'> }): PurgeAdapter[] {
  const adapters: PurgeAdapter[] = []
  if (config.ollamaUrl !== undefined) adapters.push(createOllamaAdapter({ url: config.ollamaUrl }))
  for (const url of config.vllmUrls) adapters.push(createVllmAdapter({ url, apiKey: config.vllmApiKey, sleepLevel: config.vllmSleepLevel }))
  if (config.tritonUrl !== undefined) adapters.push(createTritonAdapter({ url: config.tritonUrl }))
  if (config.purgeProcessAllow.length > 0) {
    adapters.push(createProcessAdapter({ source: deps.source, allow: config.purgeProcessAllow, graceMs: config.purgeGraceMs }))
  }
  return adapters
}
