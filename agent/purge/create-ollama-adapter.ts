import { bodySnippet } from './body-snippet.ts'
import { joinUrl } from './join-url.ts'
import type { LoadedModel, PurgeAdapter } from '../../shared/wire/purge-types.ts'
import { runtimeRequest } from './runtime-request.ts'
import { isJsonObject, stringKeyedEntries } from './string-keyed-entries.ts'

export interface OllamaAdapterOptions {
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  url: string
  /** Bound on each call (Ollama answers an unload at once and releases the memory after). */
  timeoutMs?: number
}

/**
 * Ollama: `GET /api/ps` lists the models loaded now; `POST /api/generate` with no prompt and
 * `keep_alive: 0` unloads one (what `ollama stop` sends).
 *
 * Busy: /api/ps has no in-flight counter, so we cannot tell whether a model is serving. We
 * report every Ollama model as not busy, and that is safe rather than reckless: keep_alive 0
 * makes Ollama's scheduler expire the runner, and a runner with requests in flight is only
 * unloaded once its reference count drops to zero (`expireRunner` in server/sched.go). In-flight
 * requests finish; memory is released after them, which the purge's settle wait covers.
 * `force` changes nothing here: Ollama's API has no way to abort another client's request.
 */
export function createOllamaAdapter (options: OllamaAdapterOptions): PurgeAdapter {
  const timeoutMs = options.timeoutMs ?? 10_000
  const psUrl = joinUrl(options.url, '/api/ps')
  const generateUrl = joinUrl(options.url, '/api/generate')

  async function list (): Promise<LoadedModel[]> {
    const res = await runtimeRequest(psUrl, { timeoutMs })
    if (res.status !== 200) throw new Error(`GET ${psUrl} answered HTTP ${res.status}: ${bodySnippet(res.text)}`)
    // { "models": [...] }; Ollama sends null (or nothing) when no model is loaded.
    const models = stringKeyedEntries(isJsonObject(res.json) ? res.json.models ?? [] : null, 'name')
    if (models === null) throw new Error(`GET ${psUrl} did not answer Ollama's model list: ${bodySnippet(res.text)}`)
    return models.map(m => ({ runtime: 'ollama', name: m.name, busy: false }))
  }

  async function unload (model: LoadedModel): Promise<string> {
    const res = await runtimeRequest(generateUrl, { method: 'POST', json: { model: model.name, keep_alive: 0 }, timeoutMs })
    if (res.status !== 200) {
      const body = res.json as { error?: unknown } | undefined
      const why = typeof body?.error === 'string' ? body.error : bodySnippet(res.text)
      throw new Error(`ollama ${model.name}: unload refused (HTTP ${res.status}): ${why}`)
    }
    return `unloaded ${model.name} (ollama)`
  }

  return { name: 'ollama', kind: 'runtime', target: options.url, list, unload }
}
