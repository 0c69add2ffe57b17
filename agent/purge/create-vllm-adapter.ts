import { bodySnippet } from './body-snippet.ts'
import { joinUrl } from './join-url.ts'
import { parsePrometheusText } from './parse-prometheus-text.ts'
import type { LoadedModel, PurgeAdapter } from '../../shared/wire/purge-types.ts'
import { runtimeRequest } from './runtime-request.ts'
import type { RuntimeResponse } from './runtime-request.ts'
import { isJsonObject, stringKeyedEntries } from './string-keyed-entries.ts'

export interface VllmAdapterOptions {
  /** One vLLM OpenAI-compatible server, e.g. http://127.0.0.1:8000 (one adapter per server). */
  url: string
  /** Bound on the listing calls (/v1/models, /is_sleeping, /metrics). */
  timeoutMs?: number
  /** Bound on POST /sleep: mode=wait lets in-flight requests finish first, so allow longer. */
  sleepTimeoutMs?: number
  /**
   * The key vLLM was started with (`--api-key` or VLLM_API_KEY), sent as `Authorization: Bearer`
   * on every call: vLLM guards `/v1/*` with it, and recent versions every route but the public
   * ones (`/health`, `/metrics`, …), the dev-mode `/sleep` and `/is_sleeping` included.
   */
  apiKey?: string | undefined
  /**
   * `POST /sleep?level=`: 1 offloads the weights to CPU RAM and drops the KV cache (`/wake_up`
   * is fast, but the host needs the RAM); 2 discards the weights too (waking means reloading
   * them). Either frees the GPU memory. Default 1.
   */
  sleepLevel?: 1 | 2
}

interface VllmRef {
  running: number
  waiting: number
}

/**
 * vLLM serves one model per server. Listing: `GET /v1/models` names it (LoRA adapters carry a
 * `parent` and are skipped: sleeping the engine covers them), `GET /is_sleeping` says whether it
 * already gave its memory back, `/metrics` says whether it is serving
 * (`vllm:num_requests_running` + `vllm:num_requests_waiting`, summed over engines).
 * Unloading is `POST /sleep?level=1|2` (see `sleepLevel`). The mode is always explicit because
 * vLLM's default is `abort`: `wait` lets in-flight requests finish, `abort` (force only) cancels
 * them. The sleep endpoints exist only with `VLLM_SERVER_DEV_MODE=1` in vLLM's environment
 * (FastAPI answers 404 without it), and free memory only with `--enable-sleep-mode`.
 */
export function createVllmAdapter (options: VllmAdapterOptions): PurgeAdapter {
  const timeoutMs = options.timeoutMs ?? 10_000
  const sleepTimeoutMs = options.sleepTimeoutMs ?? 120_000
  const sleepLevel = options.sleepLevel ?? 1
  const url = options.url
  const headers: Record<string, string> = options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }

  /** One call with the key; a 401/403 throws an error that says which flag to fix. */
  async function call (path: string, method: 'GET' | 'POST', timeout: number): Promise<RuntimeResponse> {
    const target = joinUrl(url, path)
    const res = await runtimeRequest(target, { method, headers, timeoutMs: timeout })
    if (res.status === 401 || res.status === 403) {
      const fix = options.apiKey === undefined
        ? 'this vLLM requires an API key (it was started with --api-key or VLLM_API_KEY); give the agent the same key with --vllm-api-key'
        : 'this vLLM rejected the key from --vllm-api-key; set it to a key vLLM was started with (--api-key or VLLM_API_KEY)'
      throw new Error(`${method} ${target} answered HTTP ${res.status}: ${fix}`)
    }
    return res
  }

  async function list (): Promise<LoadedModel[]> {
    const modelsUrl = joinUrl(url, '/v1/models')
    const res = await call('/v1/models', 'GET', timeoutMs)
    if (res.status !== 200) throw new Error(`GET ${modelsUrl} answered HTTP ${res.status}: ${bodySnippet(res.text)}`)
    // { "data": [{ "id": …, "parent": null | "<base model>" }] }
    const models = stringKeyedEntries(isJsonObject(res.json) ? res.json.data : null, 'id')
    if (models === null || !models.every(m => m.parent === undefined || m.parent === null || typeof m.parent === 'string')) {
      throw new Error(`GET ${modelsUrl} did not answer an OpenAI model list: ${bodySnippet(res.text)}`)
    }
    const served = models.find(m => m.parent === undefined || m.parent === null)
    if (served === undefined) return []
    if (await isSleeping()) return []

    const load = await readLoad()
    if (load === null || typeof load === 'string') {
      // Without the counters we cannot know it is idle: leave it unless forced.
      return [{ runtime: 'vllm', name: served.id, busy: true, busyReason: `in-flight requests unknown (${load ?? 'no vllm:num_requests_* series'})`, ref: { running: 0, waiting: 0 } }]
    }
    const busy = load.running + load.waiting > 0
    const model: LoadedModel = { runtime: 'vllm', name: served.id, busy, ref: load }
    if (busy) model.busyReason = `${plural(load.running, 'request')} running, ${load.waiting} waiting`
    return [model]
  }

  /** False when the server has no /is_sleeping (dev mode off): then it is awake by definition. */
  async function isSleeping (): Promise<boolean> {
    const res = await call('/is_sleeping', 'GET', timeoutMs)
    if (res.status !== 200) return false
    return (res.json as { is_sleeping?: unknown } | undefined)?.is_sleeping === true
  }

  async function readLoad (): Promise<VllmRef | string | null> {
    const metricsUrl = joinUrl(url, '/metrics')
    let text: string
    try {
      const res = await call('/metrics', 'GET', timeoutMs)
      if (res.status !== 200) return `GET ${metricsUrl} answered HTTP ${res.status}`
      text = res.text
    } catch (err) {
      return (err as Error).message
    }
    let running: number | null = null
    let waiting: number | null = null
    for (const s of parsePrometheusText(text)) {
      if (s.name === 'vllm:num_requests_running') running = (running ?? 0) + s.value
      else if (s.name === 'vllm:num_requests_waiting') waiting = (waiting ?? 0) + s.value
    }
    if (running === null || waiting === null) return null
    return { running, waiting }
  }

  async function unload (model: LoadedModel, { force }: { force: boolean }): Promise<string> {
    const mode = force ? 'abort' : 'wait'
    const path = `/sleep?level=${sleepLevel}&mode=${mode}`
    let res: RuntimeResponse
    try {
      res = await call(path, 'POST', sleepTimeoutMs)
    } catch (err) {
      throw new Error(`vllm ${model.name}: ${(err as Error).message}`, { cause: err })
    }
    if (res.status === 404) {
      throw new Error(`vllm ${model.name}: ${url} has no /sleep endpoint (HTTP 404): restart vLLM with VLLM_SERVER_DEV_MODE=1 in its environment and --enable-sleep-mode so purge can release its memory, or stop that server`)
    }
    if (res.status !== 200) {
      throw new Error(`vllm ${model.name}: POST ${joinUrl(url, path)} answered HTTP ${res.status}: ${bodySnippet(res.text)}`)
    }
    const ref = model.ref as VllmRef | undefined
    const aborted = force && ref !== undefined && ref.running + ref.waiting > 0
      ? `, aborted ${ref.running} running + ${ref.waiting} waiting requests`
      : ''
    return `slept vllm model ${model.name} (level ${sleepLevel}${aborted})`
  }

  return { name: 'vllm', kind: 'runtime', target: url, list, unload }
}

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
