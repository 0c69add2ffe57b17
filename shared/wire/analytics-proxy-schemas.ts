import { z } from '@hono/zod-openapi'
import { canonicalTimeZone } from '../zone-offset.ts'
import { instantParam, intParam, sinceNotAfterUntil } from './analytics-schemas.ts'

/** The console's session-authenticated analytics proxy (seed 001's /api/analytics/*): queries and answers. */

const tz = z.string().refine(s => canonicalTimeZone(s) !== null, 'must be an IANA time zone such as Asia/Kuala_Lumpur or UTC').optional()
  .openapi({ param: { name: 'tz', in: 'query' }, description: 'IANA zone whose calendar days bucket the rows (default UTC)', example: 'Asia/Kuala_Lumpur' })
const since = instantParam('since', 'Inclusive lower bound (default: until − 30 days)', '2026-06-01T00:00:00.000Z')
const until = instantParam('until', 'Exclusive upper bound (default: now); the page sends end + 1 s so the end is included', '2026-06-16T00:00:00.000Z')

export const gpuPlatformQuerySchema = z.object({
  since,
  until,
  tz,
  limit: intParam('limit', 1, 1000, 'Records per history kind, newest first (default 1000); has_more says a kind was cut'),
  offset: intParam('offset', 0, 1_000_000_000, 'Records to skip in each kind (default 0): the page\'s older/newer links'),
  kind: z.enum(['benchmarks', 'training', 'compute', 'inference', 'endpoints', 'serving']).optional()
    .openapi({ param: { name: 'kind', in: 'query' }, description: 'Only this history kind (default: every kind)' }),
}).superRefine(sinceNotAfterUntil)

export const slurmQuerySchema = z.object({ since, until, tz }).superRefine(sinceNotAfterUntil)

export const proxyWorkerEventsQuerySchema = z.object({
  since,
  until,
  limit: intParam('limit', 1, 20_000, 'At most this many events, oldest first (default 1000)'),
}).superRefine(sinceNotAfterUntil)

export const aliasesPutSchema = z.object({
  value: z.union([z.string().max(256 * 1024), z.record(z.string(), z.unknown())])
    .openapi({ description: 'The alias map: a JSON object of source → label, or its JSON text', example: { 'gpu-node-01': 'Rack A' } }),
}).strict().openapi('AliasesPut')

const page = z.object({ jobs: z.array(z.record(z.string(), z.unknown())), has_more: z.boolean() })

export const gpuPlatformSchema = z.object({
  tz: z.string(),
  since: z.string(),
  until: z.string(),
  history: z.record(z.string(), page).openapi({ description: 'gateway /v1/history/{kind}, one page per kind' }),
  summary: z.record(z.string(), z.unknown()).openapi({ description: 'gateway /v1/history/summary' }),
}).openapi('AnalyticsGpuPlatform')

const group = z.object({ key: z.string(), jobs: z.number().int(), gpu_jobs: z.number().int(), gpu_seconds: z.number().int(), gpu_hours: z.number() })

export const slurmReportSchema = z.object({
  tz: z.string(),
  since: z.string(),
  until: z.string(),
  configured: z.boolean().openapi({ description: 'false: this control plane has no Slurm to import from (no --slurm-rest-url, no sacct)' }),
  source: z.string().nullable(),
  data_as_of: z.string().nullable().openapi({ description: 'When the last successful import ended (null: never)' }),
  age_s: z.number().int().nullable().openapi({ description: 'Seconds since data_as_of' }),
  stale: z.boolean().openapi({ description: 'The last import attempt failed (or none succeeded): the numbers are the last imported ones' }),
  last_attempt_at: z.string().nullable(),
  last_error: z.string().nullable(),
  totals: group.omit({ key: true }),
  by_state: z.array(group),
  by_user: z.array(group),
  by_account: z.array(group),
  by_partition: z.array(group),
  by_cluster: z.array(group),
  rows: z.array(z.object({ date: z.string(), jobs: z.number().int(), gpu_jobs: z.number().int(), gpu_seconds: z.number().int(), gpu_hours: z.number() })),
}).openapi('AnalyticsSlurm')

export const aliasesSchema = z.object({
  key: z.literal('ANALYTICS_SOURCE_ALIASES'),
  value: z.string(),
  aliases: z.record(z.string(), z.string()),
  updated_at: z.string().nullable(),
}).openapi('AnalyticsAliases')
