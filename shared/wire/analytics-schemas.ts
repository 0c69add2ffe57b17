import { z } from '@hono/zod-openapi'
import { parseInstant } from '../parse-instant.ts'
import { canonicalTimeZone } from '../zone-offset.ts'

/** Query, body and response schemas of the analytics routes (they also document /openapi.json). */

const INSTANT_MESSAGE = 'must be an ISO 8601 instant such as 2026-06-01T00:00:00.000Z (a time needs Z or an offset)'

export const instantParam = (name: string, description: string, example: string) => z.string()
  .refine(s => s.length <= 40 && parseInstant(s) !== null, INSTANT_MESSAGE)
  .optional()
  .openapi({ param: { name, in: 'query' }, description, example })

// Digits only (no "1e3", "0x1", "-1", "7.5"); the range is checked on the number.
export const intParam = (name: string, min: number, max: number, description: string) => z.string()
  .regex(/^[0-9]{1,10}$/, `must be an integer from ${min} to ${max}`)
  .refine(s => Number(s) >= min && Number(s) <= max, `must be an integer from ${min} to ${max}`)
  .optional()
  .openapi({ param: { name, in: 'query' }, description, example: String(min) })

const since = instantParam('since', 'Inclusive lower bound (ISO 8601)', '2026-06-01T00:00:00.000Z')
const until = instantParam('until', 'Exclusive upper bound (ISO 8601); the page sends end + 1 s to include the end', '2026-06-15T23:59:59.000Z')

export function sinceNotAfterUntil (q: { since?: string | undefined, until?: string | undefined }, ctx: z.RefinementCtx): void {
  if (q.since === undefined || q.until === undefined) return
  const s = parseInstant(q.since)
  const u = parseInstant(q.until)
  if (s !== null && u !== null && s > u) ctx.addIssue({ code: 'custom', path: ['since'], message: 'must not be after until' })
}

export const historyQuerySchema = z.object({
  since,
  until,
  order: z.enum(['asc', 'desc']).optional().openapi({ param: { name: 'order', in: 'query' }, description: 'By time, then id (default desc)' }),
  limit: intParam('limit', 1, 1000, 'Page size, 1..1000 (default 100)'),
  offset: intParam('offset', 0, 1_000_000_000, 'Records to skip (default 0); page until has_more is false'),
}).superRefine(sinceNotAfterUntil)

export const summaryQuerySchema = z.object({
  since: instantParam('since', 'Inclusive lower bound (default: until − 30 days)', '2026-06-01T00:00:00.000Z'),
  until: instantParam('until', 'Exclusive upper bound (default: now); the window is at most 400 days', '2026-06-15T23:59:59.000Z'),
  tz: z.string().refine(s => canonicalTimeZone(s) !== null, 'must be an IANA time zone such as Asia/Kuala_Lumpur or UTC').optional()
    .openapi({ param: { name: 'tz', in: 'query' }, description: 'IANA zone whose calendar days bucket the rows (default UTC)', example: 'Asia/Kuala_Lumpur' }),
}).superRefine(sinceNotAfterUntil)

export const workerEventsQuerySchema = z.object({
  since,
  until,
  limit: intParam('limit', 1, 20_000, 'At most this many events, oldest first (default 1000)'),
}).superRefine(sinceNotAfterUntil)

export const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/
const endpointName = z.string().regex(ENDPOINT_NAME, 'must be 1-128 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)')
const tenantId = z.number().int().min(1).max(2 ** 31 - 1).nullable().optional()
const source = z.string().min(1).max(253).nullable().optional()
  .openapi({ description: 'Where it runs: the serving node\'s hostname (the alias map keys on it)', example: 'gpu-node-01' })

/** One inference record; checked one by one (fail-soft), so the envelope holds unknowns. */
export const inferenceRecordSchema = z.object({
  id: z.string().min(1).max(128).openapi({ description: 'The serving layer\'s id for this request; a re-sent id is ignored', example: 'req_01J2…' }),
  endpoint: endpointName.openapi({ example: 'llama-3-70b-chat' }),
  model: z.string().min(1).max(256).openapi({ example: 'meta-llama/Llama-3.1-70B-Instruct' }),
  tenant_id: tenantId,
  source,
  tokens_in: z.number().int().min(0).max(100_000_000),
  tokens_out: z.number().int().min(0).max(100_000_000),
  latency_ms: z.number().min(0).max(86_400_000),
  status: z.enum(['ok', 'error']),
  at: z.string().refine(s => s.length <= 40 && parseInstant(s) !== null, INSTANT_MESSAGE).openapi({ example: '2026-06-01T08:15:02.120Z' }),
}).openapi('InferenceRecordInput')

export const MAX_INFERENCE_BATCH = 5000

export const inferenceBatchSchema = z.object({
  records: z.array(z.unknown()).max(MAX_INFERENCE_BATCH).openapi({
    description: `Up to ${MAX_INFERENCE_BATCH} InferenceRecordInput. Each is checked on its own: an invalid one is skipped and listed in \`skipped\`.`,
  }),
})

export const inferenceIngestResultSchema = z.object({
  ok: z.literal(true),
  accepted: z.number().int().openapi({ description: 'Records newly stored' }),
  duplicates: z.number().int().openapi({ description: 'Records whose id was already stored (or repeated in this batch): ignored' }),
  skipped: z.array(z.object({ index: z.number().int(), id: z.string().nullable(), reason: z.string() })),
}).openapi('InferenceIngestResult')

export const endpointNameParamSchema = z.object({
  name: endpointName.openapi({ param: { name: 'name', in: 'path' }, example: 'llama-3-70b-chat' }),
})

export const endpointUpsertSchema = z.object({
  model: z.string().min(1).max(256),
  replicas: z.number().int().min(0).max(100_000),
  status: z.enum(['pending', 'active', 'degraded', 'stopped']).optional().openapi({ description: 'Default active' }),
  tenant_id: tenantId,
  source,
}).openapi('EndpointUpsert')

export const globalEnvKeyParamSchema = z.object({
  key: z.string().max(128).openapi({ param: { name: 'key', in: 'path' }, example: 'ANALYTICS_SOURCE_ALIASES' }),
})

export const globalEnvPutSchema = z.object({
  value: z.union([z.string().max(1_000_000), z.record(z.string(), z.unknown())]).openapi({
    description: 'JSON text of the value, or (for JSON-valued keys) the value itself',
    example: '{"gpu-node-01":"Lab rack A"}',
  }),
}).openapi('GlobalEnvPut')

export const globalEnvEntrySchema = z.object({
  key: z.string(),
  value: z.string().openapi({ description: 'JSON text', example: '{"gpu-node-01":"Lab rack A"}' }),
  updated_at: z.string().nullable(),
}).openapi('GlobalEnvEntry')

const sourced = { source: z.string().nullable(), label: z.string().nullable().openapi({ description: 'ANALYTICS_SOURCE_ALIASES[source], when set' }) }
const iso = () => z.string()

export const gpuJobRecordSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['training', 'benchmark', 'compute', 'inference', 'endpoint']),
  name: z.string(),
  tenant_id: z.number().int().nullable(),
  tenant: z.string().nullable(),
  status: z.string(),
  gpu_type: z.string().nullable(),
  gpu_count: z.number().int(),
  cluster_id: z.number().int(),
  node_id: z.number().int().nullable(),
  ...sourced,
  submitted_at: iso(),
  started_at: iso().nullable(),
  ended_at: iso().nullable(),
  duration_s: z.number().nullable(),
  gpu_hours: z.number(),
  cost_per_hr: z.number().nullable().openapi({ description: 'USD per hour: Σ the rate of each GPU the job holds' }),
  cost: z.number().nullable().openapi({ description: 'USD: cost_per_hr × duration as metered per GPU; so far, while running' }),
  currency: z.literal('usd'),
  cost_final: z.boolean().openapi({ description: 'false while the job runs (duration and cost grow)' }),
  gpus: z.array(z.object({ gpu_id: z.number().int(), gpu_model: z.string().nullable(), ...sourced, assigned_at: iso(), released_at: iso().nullable() })),
}).openapi('GpuJobRecord')

export const inferenceRecordJsonSchema = z.object({
  id: z.string(),
  kind: z.literal('inference'),
  at: iso(),
  endpoint: z.string(),
  model: z.string(),
  tenant_id: z.number().int().nullable(),
  tenant: z.string().nullable(),
  ...sourced,
  status: z.enum(['ok', 'error']),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  latency_ms: z.number(),
  cost: z.null(),
}).openapi('InferenceRecord')

export const endpointRecordSchema = z.object({
  id: z.number().int(),
  kind: z.literal('endpoint'),
  name: z.string(),
  model: z.string(),
  replicas: z.number().int(),
  status: z.enum(['pending', 'active', 'degraded', 'stopped', 'deleted']),
  tenant_id: z.number().int().nullable(),
  tenant: z.string().nullable(),
  ...sourced,
  created_at: iso(),
  updated_at: iso(),
  deleted_at: iso().nullable(),
  requests: z.number().int().openapi({ description: 'Inference records naming this endpoint during its lifetime' }),
  errors: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  cost: z.null(),
  events: z.array(z.object({ kind: z.enum(['created', 'updated', 'deleted']), at: iso(), detail: z.record(z.string(), z.unknown()).nullable() })),
}).openapi('EndpointRecord')

const pageOf = <T extends z.ZodType>(record: T, name: string) => z.object({
  jobs: z.array(record),
  has_more: z.boolean().openapi({ description: 'More records after this page: ask again with offset + limit' }),
}).openapi(name)

export const gpuJobPageSchema = pageOf(gpuJobRecordSchema, 'GpuJobHistoryPage')
export const inferencePageSchema = pageOf(inferenceRecordJsonSchema, 'InferenceHistoryPage')
export const endpointPageSchema = pageOf(endpointRecordSchema, 'EndpointHistoryPage')

export const historyKindsSchema = z.object({
  kinds: z.array(z.object({ name: z.string(), path: z.string(), carries_cost: z.boolean(), description: z.string() })),
}).openapi('HistoryKinds')

const dayCounts = {
  inference_requests: z.number().int(),
  errors: z.number().int(),
  tokens_in: z.number().int(),
  tokens_out: z.number().int(),
  gpu_jobs: z.number().int().openapi({ description: 'GPU jobs that started on this day' }),
  gpu_hours: z.number(),
  cost: z.number().openapi({ description: 'USD of GPU time on this day (inference carries no cost)' }),
}

export const summarySchema = z.object({
  tz: z.string(),
  since: iso(),
  until: iso(),
  currency: z.literal('usd'),
  rows: z.array(z.object({
    date: z.string().openapi({ example: '2026-06-01' }),
    ...dayCounts,
    avg_latency_ms: z.number().nullable(),
    by_source: z.array(z.object({ ...sourced, ...dayCounts })),
  })),
}).openapi('HistorySummary')

export const workerEventsSchema = z.object({
  count: z.number().int(),
  truncated: z.boolean().openapi({ description: 'More events in the window: ask again from the last event\'s `at`, dropping ids already seen' }),
  events: z.array(z.object({
    id: z.string().openapi({ example: 'node-12' }),
    at: iso(),
    kind: z.string().openapi({ description: 'agent_registered | agent_online | agent_offline | job_started | job_ended | gpu_assigned | gpu_released' }),
    node_id: z.number().int().nullable(),
    hostname: z.string().nullable(),
    gpu_id: z.number().int().nullable(),
    job_id: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })),
}).openapi('WorkerEvents')
