import { parseDuration } from '../shared/parse-duration.ts'
import { AgentError } from './errors.ts'
import { parseProcessAllowEntry } from './purge/parse-process-allow-entry.ts'

/**
 * Agent configuration: one defaults object, one schema, validated once at start-up and
 * frozen. The CLI maps every flag to an env var (`--interval-ms` ↔ GPUFLEET_INTERVAL_MS);
 * modules receive their slice of this object and never read process.env themselves.
 * The schema is a table of small checks rather than zod: zod costs the agent ~5 MB of
 * resident memory for one start-up parse (README "Performance"); the control plane keeps zod.
 */
export const AGENT_DEFAULTS = {
  listen: '127.0.0.1:9410',
  controlPlane: 'http://127.0.0.1:8080',
  nvidiaSmi: '/usr/bin/nvidia-smi',
  stateDir: '/var/lib/gpufleet-agent',
  intervalMs: 1000,
  computeAppsIntervalMs: 5000,
  staleAfterMs: 10_000,
  spoolMaxBytes: 256 * 1024 * 1024,
  keyCacheTtlMs: 60_000,
  purgeGraceMs: 10_000,
  purgeSettleMs: 15_000,
  kernelLog: '/dev/kmsg',
  vllmSleepLevel: 1,
  logLevel: 'info',
  jobKillGrace: 30_000,
  jobLogMax: 64 * 1024 * 1024,
} as const

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface AgentConfig {
  readonly listen: string
  readonly controlPlane: string
  /** Key the agent presents to the control plane (ingest scope). */
  readonly apiKey?: string | undefined
  readonly cluster: string
  readonly region?: string | undefined
  readonly hostname?: string | undefined
  readonly nvidiaSmi: string
  readonly stateDir: string
  readonly intervalMs: number
  readonly computeAppsIntervalMs: number
  readonly staleAfterMs: number
  readonly spoolMaxBytes: number
  readonly keyCacheTtlMs: number
  /** SHA-256 (hex) of a break-glass operator key, accepted when the control plane is unreachable. */
  readonly breakGlassKeySha256?: string | undefined
  /** kid of the one operator-token key that may replace the pinned one (after a control plane rebuild). */
  readonly repinOperatorKey?: string | undefined
  /** Optional bearer token for /metrics (unauthenticated when unset, as dcgm-exporter is). */
  readonly metricsToken?: string | undefined
  readonly ollamaUrl?: string | undefined
  readonly vllmUrls: string[]
  /** vLLM's `--api-key`, sent as `Authorization: Bearer` to every --vllm-urls server. */
  readonly vllmApiKey?: string | undefined
  /** `POST /sleep?level=` on purge: 1 keeps the weights in CPU RAM, 2 discards them. */
  readonly vllmSleepLevel: 1 | 2
  readonly tritonUrl?: string | undefined
  /** Executables the process adapter may signal: absolute paths, or `name:<file name>`. */
  readonly purgeProcessAllow: string[]
  readonly purgeGraceMs: number
  readonly purgeSettleMs: number
  /** Kernel log read for NVIDIA Xid errors (/dev/kmsg); empty turns it off. */
  readonly kernelLog: string
  readonly logLevel: typeof LOG_LEVELS[number]
  /** PEM certificate chain and key: the operator API and /metrics serve HTTPS (both or neither). */
  readonly tlsCert?: string | undefined
  readonly tlsKey?: string | undefined
  /** PEM CA bundle trusted for an https:// control plane (instead of the system roots). */
  readonly controlPlaneCa?: string | undefined
  /** The agent_url registered with the control plane (default: derived, see advertised-url.ts). */
  readonly advertiseUrl?: string | undefined
  /** Unprivileged user executed jobs run as (never root); unset: the agent's own user when it is not root. */
  readonly jobUser?: string | undefined
  /** Milliseconds from SIGTERM to SIGKILL when a job is stopped (the flag takes a duration: 30s, 2m). */
  readonly jobKillGrace: number
  /** Bytes a job's log file may reach before it is rotated (one older generation kept). */
  readonly jobLogMax: number
  /** false (`--no-jobs`): this agent runs no jobs and asks for no assignments. */
  readonly jobs: boolean
}

/** Flags and env twins as given: strings from the CLI, numbers and arrays from code. */
export type AgentConfigInput = { [K in keyof AgentConfig]?: unknown }

/** Each check returns the value or throws the message that follows the flag's name. */
type Check = (value: unknown) => unknown

const text = (min: number, max = Infinity): Check => value => {
  if (typeof value !== 'string') throw new Error(`expected a string, got ${typeof value}`)
  if (value.length < min) throw new Error(min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
  if (value.length > max) throw new Error(`must be at most ${max} characters`)
  return value
}
const matching = (re: RegExp, expected: string): Check => value => {
  if (typeof value !== 'string' || !re.test(value)) throw new Error(`expected ${expected}, got ${JSON.stringify(value)}`)
  return value
}
const hostPort = matching(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'HOST:PORT, e.g. 127.0.0.1:9410')
const sha256Hex = matching(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 (64 characters)')
const httpUrl: Check = value => {
  let ok = false
  try { ok = typeof value === 'string' && /^https?:\/\//.test(value) && new URL(value).hostname !== '' } catch { ok = false }
  if (!ok) throw new Error(`expected an http:// or https:// URL, got ${JSON.stringify(value)}`)
  return value
}
const int = (min: number, max: number): Check => value => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got ${JSON.stringify(value)}`)
  if (n < min || n > max) throw new Error(`must be from ${min} to ${max}, got ${n}`)
  return n
}
const list = (item?: Check): Check => value => {
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every(v => typeof v === 'string'))) {
    throw new Error('expected a comma-separated list')
  }
  const items = (Array.isArray(value) ? value : value.split(',')).map(s => s.trim()).filter(s => s !== '')
  return item === undefined ? items : items.map(item)
}
/** A bearer token as it goes into a header: printable ASCII, no spaces (a key, not a phrase). */
const bearerToken: Check = value => {
  const token = text(1, 4096)(value) as string
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error('must be printable ASCII without spaces')
  return token
}
const sleepLevel: Check = value => {
  const n = typeof value === 'string' && /^\s*[12]\s*$/.test(value) ? Number(value) : value
  if (n !== 1 && n !== 2) throw new Error(`expected 1 or 2 (vLLM's sleep level), got ${JSON.stringify(value)}`)
  return n
}
const processAllowEntry: Check = value => {
  parseProcessAllowEntry(value as string)
  return value
}
const oneOf = (values: readonly string[]): Check => value => {
  if (typeof value !== 'string' || !values.includes(value)) throw new Error(`expected one of ${values.join('|')}, got ${JSON.stringify(value)}`)
  return value
}

const userName = matching(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'a user name from /etc/passwd')
/** A duration string (30s, 2m) from the CLI; a number from code is milliseconds. */
const durationMs = (max: number): Check => value => {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : null
  if (ms === null || !Number.isInteger(ms)) throw new Error(`expected a duration such as 30s or 2m, got ${JSON.stringify(value)}`)
  if (ms < 0 || ms > max) throw new Error(`must be at most ${max / 1000}s`)
  return ms
}
const SIZE_UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }
/** Bytes: an integer, or one with KiB/MiB/GiB (64MiB). */
const byteSize = (min: number, max: number): Check => value => {
  const m = typeof value === 'string' ? /^\s*(\d+)\s*(KiB|MiB|GiB)?\s*$/.exec(value) : null
  const n = typeof value === 'number' ? value : m !== null ? Number(m[1]) * (SIZE_UNITS[m[2] ?? ''] as number) : NaN
  if (!Number.isSafeInteger(n)) throw new Error(`expected bytes, e.g. 67108864 or 64MiB, got ${JSON.stringify(value)}`)
  if (n < min || n > max) throw new Error(`must be from ${min} to ${max} bytes, got ${n}`)
  return n
}
const bool: Check = value => {
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new Error(`expected true or false, got ${JSON.stringify(value)}`)
}

/** Every option: its check and its default (absent: optional). */
const SCHEMA: Record<keyof AgentConfig, { check: Check, default?: unknown }> = {
  listen: { check: hostPort, default: AGENT_DEFAULTS.listen },
  controlPlane: { check: httpUrl, default: AGENT_DEFAULTS.controlPlane },
  apiKey: { check: text(1) },
  cluster: { check: text(1, 128), default: 'default' },
  region: { check: text(1, 64) },
  hostname: { check: text(1, 253) },
  nvidiaSmi: { check: text(1), default: AGENT_DEFAULTS.nvidiaSmi },
  stateDir: { check: text(1), default: AGENT_DEFAULTS.stateDir },
  intervalMs: { check: int(100, 60_000), default: AGENT_DEFAULTS.intervalMs },
  computeAppsIntervalMs: { check: int(500, 600_000), default: AGENT_DEFAULTS.computeAppsIntervalMs },
  staleAfterMs: { check: int(1000, 600_000), default: AGENT_DEFAULTS.staleAfterMs },
  spoolMaxBytes: { check: int(64 * 1024, 64 * 1024 ** 3), default: AGENT_DEFAULTS.spoolMaxBytes },
  keyCacheTtlMs: { check: int(0, 60_000), default: AGENT_DEFAULTS.keyCacheTtlMs },
  breakGlassKeySha256: { check: sha256Hex },
  repinOperatorKey: { check: matching(/^[A-Za-z0-9_-]{43}$/, 'an operator-token key id (43 base64url characters, the kid the control plane reports)') },
  metricsToken: { check: text(16) },
  ollamaUrl: { check: httpUrl },
  vllmUrls: { check: list(httpUrl), default: [] },
  vllmApiKey: { check: bearerToken },
  vllmSleepLevel: { check: sleepLevel, default: AGENT_DEFAULTS.vllmSleepLevel },
  tritonUrl: { check: httpUrl },
  purgeProcessAllow: { check: list(processAllowEntry), default: [] },
  purgeGraceMs: { check: int(0, 300_000), default: AGENT_DEFAULTS.purgeGraceMs },
  purgeSettleMs: { check: int(0, 300_000), default: AGENT_DEFAULTS.purgeSettleMs },
  kernelLog: { check: text(0, 4096), default: AGENT_DEFAULTS.kernelLog },
  logLevel: { check: oneOf(LOG_LEVELS), default: AGENT_DEFAULTS.logLevel },
  tlsCert: { check: text(1) },
  tlsKey: { check: text(1) },
  controlPlaneCa: { check: text(1) },
  advertiseUrl: { check: httpUrl },
  jobUser: { check: userName },
  jobKillGrace: { check: durationMs(3_600_000), default: AGENT_DEFAULTS.jobKillGrace },
  jobLogMax: { check: byteSize(64 * 1024, 64 * 1024 ** 3), default: AGENT_DEFAULTS.jobLogMax },
  jobs: { check: bool, default: true },
}

export function parseAgentConfig (input: AgentConfigInput): AgentConfig {
  const problems: string[] = []
  const config: Record<string, unknown> = {}
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(SCHEMA, key)) problems.push(`--${kebab(key)}: unknown option`)
  }
  for (const [key, { check, default: fallback }] of Object.entries(SCHEMA)) {
    const value = (input as Record<string, unknown>)[key]
    if (value === undefined) {
      if (fallback !== undefined) config[key] = Array.isArray(fallback) ? [...fallback] : fallback
      continue
    }
    try {
      config[key] = check(value)
    } catch (err) {
      problems.push(`--${kebab(key)}: ${(err as Error).message}`)
    }
  }
  // vLLM options set without a vLLM to apply them to are a mistake, not a no-op.
  for (const key of ['vllmApiKey', 'vllmSleepLevel'] as const) {
    if (input[key] !== undefined && Array.isArray(config.vllmUrls) && config.vllmUrls.length === 0) problems.push(`--${kebab(key)}: has no effect without --vllm-urls`)
  }
  // Files are read (and the pair checked) by startAgent; here only what goes together.
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    problems.push(`--tls-cert and --tls-key: give both or neither (got only ${config.tlsCert === undefined ? '--tls-key' : '--tls-cert'})`)
  }
  if (config.controlPlaneCa !== undefined && typeof config.controlPlane === 'string' && !config.controlPlane.startsWith('https://')) {
    problems.push(`--control-plane-ca: applies to an https:// --control-plane only, got ${JSON.stringify(config.controlPlane)}`)
  }
  if (problems.length > 0) throw new AgentError('CONFIG_INVALID', `invalid agent configuration:\n  ${problems.join('\n  ')}`)
  return Object.freeze(config as unknown as AgentConfig)
}

function kebab (name: string): string {
  return name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
}
