import { bodySnippet } from './body-snippet.ts'
import { joinUrl } from './join-url.ts'
import { parsePrometheusText } from './parse-prometheus-text.ts'
import type { LoadedModel, PurgeAdapter } from '../../shared/wire/purge-types.ts'
import { runtimeRequest } from './runtime-request.ts'
import { stringKeyedEntries } from './string-keyed-entries.ts'

export interface TritonAdapterOptions {
  /** Triton's HTTP endpoint, e.g. http://127.0.0.1:8000. */
  url: string
  /**
   * Triton's Prometheus endpoint. Triton serves metrics on their own port (`--metrics-port`,
   * default 8002), not on the HTTP port, so the default is the same host on port 8002.
   */
  metricsUrl?: string
  timeoutMs?: number
  /** Bound on one unload: Triton lets in-flight requests of the model finish first. */
  unloadTimeoutMs?: number
}

const FORCE_HINT = 'unload it anyway; Triton lets its in-flight requests finish first'

/**
 * Triton (model-repository extension): `POST /v2/repository/index` lists the repository, a
 * model in state READY holds GPU memory; `POST /v2/repository/models/{m}/unload` unloads it
 * (only with `--model-control-mode=explicit`: in `poll` or `none` mode Triton answers 503 and the
 * model stays, which is reported as a failed unload). Busy = `nv_inference_pending_request_count`
 * > 0 for that model on the metrics endpoint. Triton has no way to abort requests, so force
 * means "unload anyway", which Triton does after the in-flight requests complete.
 */
export function createTritonAdapter (options: TritonAdapterOptions): PurgeAdapter {
  const url = options.url
  const metricsUrl = options.metricsUrl ?? defaultMetricsUrl(url)
  const timeoutMs = options.timeoutMs ?? 10_000
  const unloadTimeoutMs = options.unloadTimeoutMs ?? 120_000

  async function list (): Promise<LoadedModel[]> {
    const indexUrl = joinUrl(url, '/v2/repository/index')
    const res = await runtimeRequest(indexUrl, { method: 'POST', json: {}, timeoutMs })
    if (res.status !== 200) throw new Error(`POST ${indexUrl} answered HTTP ${res.status}: ${bodySnippet(res.text)}`)
    // [{ "name": …, "version": …, "state": "READY" | "UNAVAILABLE" | … }]
    const index = stringKeyedEntries(res.json, 'name')
    if (index === null || !index.every(m => m.state === undefined || typeof m.state === 'string')) throw new Error(`POST ${indexUrl} did not answer a Triton repository index: ${bodySnippet(res.text)}`)
    // One entry per READY version; unload takes the model name and unloads every version.
    const ready = [...new Set(index.filter(m => m.state === 'READY').map(m => m.name))]
    if (ready.length === 0) return []

    const pending = await readPending()
    return ready.map(name => {
      const model: LoadedModel = { runtime: 'triton', name, busy: false, forceHint: FORCE_HINT }
      if (typeof pending === 'string') {
        // Without the gauge we cannot know the model is idle: leave it unless forced.
        model.busy = true
        model.busyReason = `in-flight requests unknown (${pending})`
      } else {
        const n = pending.get(name) ?? 0
        if (n > 0) {
          model.busy = true
          model.busyReason = `${n} request${n === 1 ? '' : 's'} pending`
        }
      }
      return model
    })
  }

  /** Pending requests per model (summed over versions), or why they could not be read. */
  async function readPending (): Promise<Map<string, number> | string> {
    let text: string
    try {
      const res = await runtimeRequest(metricsUrl, { timeoutMs })
      if (res.status !== 200) return `GET ${metricsUrl} answered HTTP ${res.status}`
      text = res.text
    } catch (err) {
      return (err as Error).message
    }
    const pending = new Map<string, number>()
    for (const s of parsePrometheusText(text)) {
      const model = s.labels.model
      if (s.name !== 'nv_inference_pending_request_count' || model === undefined) continue
      pending.set(model, (pending.get(model) ?? 0) + s.value)
    }
    return pending
  }

  async function unload (model: LoadedModel): Promise<string> {
    const unloadUrl = joinUrl(url, `/v2/repository/models/${encodeURIComponent(model.name)}/unload`)
    const res = await runtimeRequest(unloadUrl, { method: 'POST', json: {}, timeoutMs: unloadTimeoutMs })
    if (res.status !== 200) {
      const body = res.json as { error?: unknown } | undefined
      const why = typeof body?.error === 'string' ? body.error : bodySnippet(res.text)
      // Triton's core refuses load/unload unless --model-control-mode=explicit (in `none` and
      // `poll` alike, with this one text) as UNAVAILABLE, which its HTTP frontend sends as 503.
      // The model is still loaded: say so and how to fix it, not "unavailable, try later".
      if (/explicit model load \/ unload is not allowed/i.test(why)) {
        throw new Error(`triton ${model.name}: not unloaded, Triton refuses to unload models unless it runs with --model-control-mode=explicit (HTTP ${res.status}${res.status === 503 ? ' UNAVAILABLE' : ''}: ${why}); restart tritonserver with --model-control-mode=explicit (and --load-model=* to load the whole repository at start), or stop it`)
      }
      throw new Error(`triton ${model.name}: unload refused (HTTP ${res.status}): ${why}`)
    }
    return `unloaded ${model.name} (triton)`
  }

  return { name: 'triton', kind: 'runtime', target: url, list, unload }
}

function defaultMetricsUrl (url: string): string {
  const u = new URL(url)
  u.port = '8002'
  u.pathname = '/metrics'
  u.search = ''
  return u.toString()
}
