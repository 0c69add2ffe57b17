import type { Logger } from '../logger.ts'

/** Seed 004's memory summary (GB = MiB / 1024, one decimal; percent one decimal). */
export interface MemorySummary {
  used_gb: number
  total_gb: number
  percent_used: number
}

/** Seed 004 `POST /v1/gpu/purge` response, snake_case on the wire; extras are additions. */
export interface PurgeResult {
  status: 'success'
  timestamp: string
  actions: string[]
  memory_before: MemorySummary
  memory_after: MemorySummary
  memory_freed_gb: number
  models_unloaded: string[]
  errors: string[]
  recommendation: string
  /** Extra: whether the purge ran with force. */
  force: boolean
  /** Extra: whether memory_after was read after memory settled (false = settle timed out). */
  settled: boolean
  /** Extra: models (or processes) still loaded after the purge: busy without force, or unload failed. */
  models_left_loaded: string[]
}

/** A model (or process) a runtime holds on the GPUs. */
export interface LoadedModel {
  /** Adapter name: 'ollama' | 'vllm' | 'triton' | 'process'. */
  runtime: string
  /** What the operator sees in models_unloaded (model name, or process name + pid). */
  name: string
  /** In use right now (requests running/pending); left loaded unless force. */
  busy: boolean
  busyReason?: string
  /** Adapter-private handle (URL, pid, …). */
  ref?: unknown
  /** What `force: true` would do to a busy model, for the error line (default "abort them"). */
  forceHint?: string
}

export interface PurgeAdapter {
  readonly name: string
  /**
   * 'runtime' adapters (Ollama, vLLM, Triton) run first; 'process' adapters run after them,
   * so a runtime gets to release its own processes before anything is signalled.
   * Default 'runtime'.
   */
  readonly kind?: 'runtime' | 'process'
  /** Where the adapter talks to (a URL), named in errors and the recommendation. */
  readonly target?: string
  /** What this runtime holds now. Throws when the runtime cannot be reached. */
  list: () => Promise<LoadedModel[]>
  /**
   * Unload one model; throws with a message fit for `errors` on failure. May resolve with a
   * line for `actions` saying what was done (default "unloaded NAME (RUNTIME)").
   */
  unload: (model: LoadedModel, options: { force: boolean }) => Promise<string | void>
}

export interface PurgeService {
  /** Throws HttpError 409 PURGE_IN_PROGRESS while another purge runs. */
  purge: (options: { force: boolean }) => Promise<PurgeResult>
  running: () => boolean
}

/** The slice of pino purge logs through; tests hand it a real pino writing to a buffer. */
export type PurgeLogger = Pick<Logger, 'info' | 'warn' | 'error'>
