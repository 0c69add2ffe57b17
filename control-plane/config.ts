import { z } from 'zod'
import { CONTROL_PLANE_DEFAULTS } from './defaults.ts'
import { ControlPlaneError } from './errors.ts'
import { API_KEY_PREFIX, isPresentableApiKey } from '../shared/wire/api-key-format.ts'
import { parseDuration } from '../shared/parse-duration.ts'
import { parseTelemetryEngine, type TelemetryEngine } from './telemetry-engine.ts'

/**
 * Control-plane configuration: one defaults object, one schema, validated once at start-up
 * and frozen. The CLI maps every flag to an env var (`--db` ↔ GPUFLEET_DB); the admin key is
 * env-only (GPUFLEET_ADMIN_KEY) so it never shows in `ps`. Modules receive this object and
 * never read process.env themselves.
 */
export { CONTROL_PLANE_DEFAULTS }

/** How each option is named where operators set it. */
const OPTION_NAMES: Record<string, string> = {
  listen: '--listen (GPUFLEET_LISTEN)',
  db: '--db (GPUFLEET_DB)',
  adminKey: 'GPUFLEET_ADMIN_KEY',
  demo: '--demo (GPUFLEET_DEMO)',
  logLevel: '--log-level (GPUFLEET_LOG_LEVEL)',
  bodyLimitBytes: '--body-limit-bytes (GPUFLEET_BODY_LIMIT_BYTES)',
  authFailuresPerMinute: '--auth-failures-per-minute (GPUFLEET_AUTH_FAILURES_PER_MINUTE)',
  introspectFailuresPerMinute: '--introspect-failures-per-minute (GPUFLEET_INTROSPECT_FAILURES_PER_MINUTE)',
  sessionTtl: '--session-ttl (GPUFLEET_SESSION_TTL)',
  trustProxy: '--trust-proxy (GPUFLEET_TRUST_PROXY)',
  tlsCert: '--tls-cert (GPUFLEET_TLS_CERT)',
  tlsKey: '--tls-key (GPUFLEET_TLS_KEY)',
  alertWebhookAllowPrivate: '--alert-webhook-allow-private (GPUFLEET_ALERT_WEBHOOK_ALLOW_PRIVATE)',
  nodeFailGrace: '--node-fail-grace (GPUFLEET_NODE_FAIL_GRACE)',
  jobLogRetain: '--job-log-retain (GPUFLEET_JOB_LOG_RETAIN)',
  slurmInterval: '--slurm-interval (GPUFLEET_SLURM_INTERVAL)',
  slurmRestUrl: '--slurm-rest-url (GPUFLEET_SLURM_REST_URL)',
  slurmRestUser: '--slurm-rest-user (GPUFLEET_SLURM_REST_USER)',
  slurmRestApi: '--slurm-rest-api (GPUFLEET_SLURM_REST_API)',
  telemetryCompactAfter: '--telemetry-compact-after (GPUFLEET_TELEMETRY_COMPACT_AFTER)',
  slurmSacct: '--slurm-sacct (GPUFLEET_SLURM_SACCT)',
  slurmToken: 'GPUFLEET_SLURM_TOKEN',
  telemetry: '--telemetry (GPUFLEET_TELEMETRY)',
}

const SESSION_TTL_MIN_MS = 60_000
const SESSION_TTL_MAX_MS = 30 * 86_400_000
const NODE_FAIL_GRACE_MAX_MS = 7 * 86_400_000
// At least one upload's worth (MAX_LOG_CHUNK_BYTES); at most 64 MiB per job, since a read
// holds the retained log in memory.
const JOB_LOG_RETAIN_MIN = 256 * 1024
const JOB_LOG_RETAIN_MAX = 64 * 1024 ** 2
const BYTE_SIZE = /^([0-9]{1,13})\s*(B|KiB|MiB|GiB)?$/
const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }
/** "8MiB" → 8388608; a plain number is bytes; null when it is neither. */
function byteSize (v: string | number): number | null {
  const m = BYTE_SIZE.exec(String(v).trim())
  return m === null ? null : Number(m[1]) * (UNIT[m[2] ?? 'B'] as number)
}
const SLURM_INTERVAL_MIN_MS = 10_000
const SLURM_INTERVAL_MAX_MS = 86_400_000

const LISTEN = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s[\]]+)):(\d{1,5})$/
const flag = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', ''])])
  .transform(v => v === true || v === 'true' || v === '1')

function isHttpUrl (s: string): boolean {
  try {
    const u = new URL(s)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

function isPostgresUrlValid (s: string): boolean {
  try {
    return new URL(s).hostname !== ''
  } catch {
    return false
  }
}

export const controlPlaneConfigSchema = z.object({
  listen: z.string()
    .refine(s => LISTEN.test(s) && Number(LISTEN.exec(s)?.[3]) <= 65535, 'expected HOST:PORT with a port 0..65535, e.g. 127.0.0.1:8080')
    .default(CONTROL_PLANE_DEFAULTS.listen),
  // A SQLite file path, or postgres://user:password@host:port/database (the message never
  // echoes a URL: it may carry a password).
  db: z.string().min(1)
    .refine(s => !/^postgres(ql)?:\/\//i.test(s) || isPostgresUrlValid(s), 'expected postgres://user:password@host[:port]/database or a SQLite file path')
    .default(CONTROL_PLANE_DEFAULTS.db),
  // The message never echoes the value: it is a secret.
  adminKey: z.string()
    .refine(isPresentableApiKey, `expected ${API_KEY_PREFIX} followed by 32 to 256 visible ASCII characters (no spaces)`)
    .optional(),
  demo: flag.default(CONTROL_PLANE_DEFAULTS.demo),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(CONTROL_PLANE_DEFAULTS.logLevel),
  bodyLimitBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(CONTROL_PLANE_DEFAULTS.bodyLimitBytes),
  authFailuresPerMinute: z.coerce.number().int().min(1).max(100_000).default(CONTROL_PLANE_DEFAULTS.authFailuresPerMinute),
  introspectFailuresPerMinute: z.coerce.number().int().min(1).max(1_000_000).default(CONTROL_PLANE_DEFAULTS.introspectFailuresPerMinute),
  sessionTtl: z.string()
    .refine(s => { const ms = parseDuration(s); return ms !== null && ms >= SESSION_TTL_MIN_MS && ms <= SESSION_TTL_MAX_MS },
      'expected a duration from 1m to 30d such as 8h, 30m, 1h30m or 1d')
    .default(CONTROL_PLANE_DEFAULTS.sessionTtl),
  trustProxy: flag.default(CONTROL_PLANE_DEFAULTS.trustProxy),
  // PEM paths; startControlPlane reads them (and checks the pair) before anything starts.
  tlsCert: z.string().min(1, 'expected the path of a PEM certificate chain').optional(),
  tlsKey: z.string().min(1, 'expected the path of a PEM private key').optional(),
  alertWebhookAllowPrivate: flag.default(CONTROL_PLANE_DEFAULTS.alertWebhookAllowPrivate),
  nodeFailGrace: z.string()
    .refine(s => { const ms = parseDuration(s); return ms !== null && ms >= 0 && ms <= NODE_FAIL_GRACE_MAX_MS }, 'expected a duration up to 7d such as 2m, 30s or 1h')
    .default(CONTROL_PLANE_DEFAULTS.nodeFailGrace),
  jobLogRetain: z.union([z.number(), z.string()])
    .refine(v => { const n = byteSize(v); return n !== null && n >= JOB_LOG_RETAIN_MIN && n <= JOB_LOG_RETAIN_MAX }, 'expected a size from 256KiB to 64MiB such as 8MiB, 512KiB or 1048576 (bytes)')
    .default(CONTROL_PLANE_DEFAULTS.jobLogRetain),
  slurmInterval: z.string()
    .refine(s => { if (s === 'off') return true; const ms = parseDuration(s); return ms !== null && ms >= SLURM_INTERVAL_MIN_MS && ms <= SLURM_INTERVAL_MAX_MS },
      'expected off or a duration from 10s to 1d such as 5m, 30s or 1h')
    .default(CONTROL_PLANE_DEFAULTS.slurmInterval),
  // The message never echoes the value: a URL may carry credentials.
  slurmRestUrl: z.string().refine(isHttpUrl, 'expected an http(s) URL such as http://slurm-head:6820').optional(),
  slurmRestUser: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a Slurm user name').optional(),
  slurmRestApi: z.string().regex(/^v\d+\.\d+\.\d+$/, 'expected a slurmdb plugin version such as v0.0.38').default(CONTROL_PLANE_DEFAULTS.slurmRestApi),
  slurmSacct: z.string().min(1, 'expected the sacct command or its path').default(CONTROL_PLANE_DEFAULTS.slurmSacct),
  // Secret: never echoed.
  slurmToken: z.string().regex(/^[\x21-\x7e]{1,8192}$/, 'expected a JWT (scontrol token) without spaces').optional(),
  telemetryCompactAfter: z.string()
    .refine(s => { const ms = parseDuration(s); return ms !== null && ms >= 0 && ms <= NODE_FAIL_GRACE_MAX_MS }, 'expected a duration up to 7d such as 70m, 2h or 0s')
    .default(CONTROL_PLANE_DEFAULTS.telemetryCompactAfter),
  // Where GPU telemetry lives: the store's tables, or VictoriaMetrics (the message never echoes a URL).
  telemetry: z.string().refine(s => !('error' in parseTelemetryEngine(s)), 'expected sql, vm=http://host:8428 or vm=insert=URL,select=URL')
    .default(CONTROL_PLANE_DEFAULTS.telemetry),
}).strict().superRefine((c, ctx) => {
  if (c.slurmRestUrl !== undefined && c.slurmToken === undefined) {
    ctx.addIssue({ code: 'custom', path: ['slurmToken'], message: 'required with --slurm-rest-url (a JWT from scontrol token)' })
  }
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    ctx.addIssue({ code: 'custom', path: [c.tlsCert === undefined ? 'tlsCert' : 'tlsKey'], message: 'give both --tls-cert and --tls-key, or neither' })
  }
})

export type ControlPlaneConfigInput = z.input<typeof controlPlaneConfigSchema>
export type ControlPlaneConfig = Readonly<z.infer<typeof controlPlaneConfigSchema> & {
  /** From `listen`, brackets of an IPv6 literal removed. */
  host: string
  port: number
  /** `sessionTtl` in milliseconds. */
  sessionTtlMs: number
  /** `nodeFailGrace` in milliseconds. */
  nodeFailGraceMs: number
  /** `jobLogRetain` in bytes. */
  jobLogRetainBytes: number
  /** `slurmInterval` in milliseconds; null when off. */
  slurmIntervalMs: number | null
  /** `telemetryCompactAfter` in milliseconds. */
  telemetryCompactAfterMs: number
  /** `telemetry` parsed. */
  telemetryEngine: TelemetryEngine
}>

/** Throws ControlPlaneError CONFIG_INVALID naming each bad option the way operators set it. */
export function parseControlPlaneConfig (input: ControlPlaneConfigInput = {}): ControlPlaneConfig {
  const result = controlPlaneConfigSchema.safeParse(input)
  if (!result.success) {
    const problems = result.error.issues.map(i => {
      const key = String(i.path[0] ?? '')
      const name = OPTION_NAMES[key] ?? (i.code === 'unrecognized_keys' ? 'unknown option' : key)
      return `${name}: ${i.message}`
    })
    throw new ControlPlaneError('CONFIG_INVALID', `invalid control-plane configuration:\n  ${problems.join('\n  ')}`)
  }
  const m = LISTEN.exec(result.data.listen)
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1'
  return Object.freeze({ ...result.data, host, port: Number(m?.[3]), sessionTtlMs: parseDuration(result.data.sessionTtl) as number,
    nodeFailGraceMs: parseDuration(result.data.nodeFailGrace) as number,
    jobLogRetainBytes: byteSize(result.data.jobLogRetain) as number,
    slurmIntervalMs: result.data.slurmInterval === 'off' ? null : parseDuration(result.data.slurmInterval) as number,
    telemetryCompactAfterMs: parseDuration(result.data.telemetryCompactAfter) as number,
    telemetryEngine: parseTelemetryEngine(result.data.telemetry) as TelemetryEngine,
  })
}
