import { z } from 'zod'
import { AgentError } from './errors.ts'

/**
 * Agent configuration: one defaults object, one schema, validated once at start-up and
 * frozen. The CLI maps every flag to an env var (`--interval-ms` ↔ GPUFLEET_INTERVAL_MS);
 * modules receive their slice of this object and never read process.env themselves.
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
  logLevel: 'info',
} as const

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:9410')
const httpUrl = z.string().url().refine(u => /^https?:\/\//.test(u), 'expected an http:// or https:// URL')
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256 (64 characters)')
const csv = z.union([z.string(), z.array(z.string())])
  .transform(v => (Array.isArray(v) ? v : v.split(',')).map(s => s.trim()).filter(s => s !== ''))

export const agentConfigSchema = z.object({
  listen: hostPort.default(AGENT_DEFAULTS.listen),
  controlPlane: httpUrl.default(AGENT_DEFAULTS.controlPlane),
  /** Key the agent presents to the control plane (ingest scope). */
  apiKey: z.string().min(1).optional(),
  cluster: z.string().min(1).max(128).default('default'),
  region: z.string().min(1).max(64).optional(),
  hostname: z.string().min(1).max(253).optional(),
  nvidiaSmi: z.string().min(1).default(AGENT_DEFAULTS.nvidiaSmi),
  stateDir: z.string().min(1).default(AGENT_DEFAULTS.stateDir),
  intervalMs: z.coerce.number().int().min(100).max(60_000).default(AGENT_DEFAULTS.intervalMs),
  computeAppsIntervalMs: z.coerce.number().int().min(500).max(600_000).default(AGENT_DEFAULTS.computeAppsIntervalMs),
  staleAfterMs: z.coerce.number().int().min(1000).max(600_000).default(AGENT_DEFAULTS.staleAfterMs),
  spoolMaxBytes: z.coerce.number().int().min(64 * 1024).max(64 * 1024 ** 3).default(AGENT_DEFAULTS.spoolMaxBytes),
  keyCacheTtlMs: z.coerce.number().int().min(0).max(60_000).default(AGENT_DEFAULTS.keyCacheTtlMs),
  /** SHA-256 (hex) of a break-glass operator key, accepted when the control plane is unreachable. */
  breakGlassKeySha256: sha256Hex.optional(),
  /** Optional bearer token for /metrics (unauthenticated when unset, as dcgm-exporter is). */
  metricsToken: z.string().min(16).optional(),
  ollamaUrl: httpUrl.optional(),
  vllmUrls: csv.pipe(z.array(httpUrl)).default([]),
  tritonUrl: httpUrl.optional(),
  /** Process names (basename or full path) the process adapter may signal. */
  purgeProcessAllow: csv.default([]),
  purgeGraceMs: z.coerce.number().int().min(0).max(300_000).default(AGENT_DEFAULTS.purgeGraceMs),
  purgeSettleMs: z.coerce.number().int().min(0).max(300_000).default(AGENT_DEFAULTS.purgeSettleMs),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(AGENT_DEFAULTS.logLevel),
}).strict()

export type AgentConfig = Readonly<z.infer<typeof agentConfigSchema>>
export type AgentConfigInput = z.input<typeof agentConfigSchema>

export function parseAgentConfig (input: AgentConfigInput): AgentConfig {
  const result = agentConfigSchema.safeParse(input)
  if (!result.success) {
    const problems = result.error.issues.map(i => `--${kebab(String(i.path[0] ?? '?'))}: ${i.message}`)
    throw new AgentError('CONFIG_INVALID', `invalid agent configuration:\n  ${problems.join('\n  ')}`)
  }
  return Object.freeze(result.data)
}

function kebab (name: string): string {
  return name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
}
