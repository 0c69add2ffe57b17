import { z } from '@hono/zod-openapi'

/** Schemas of GET /v1/regions and GET /v1/route (they also document /openapi.json). */

export const regionHealthSchema = z.object({
  region: z.string().openapi({ description: 'cluster.region; clusters without one are under "unassigned"' }),
  clusters: z.number().int(),
  nodes_total: z.number().int(),
  nodes_online: z.number().int(),
  nodes_fresh: z.number().int().openapi({ description: 'Online nodes with a GPU sample within stale_after_ms' }),
  gpus_total: z.number().int(),
  gpus_online: z.number().int().openapi({ description: 'GPUs on online nodes' }),
  gpus_idle: z.number().int().openapi({ description: 'Idle GPUs (≤ 10 % utilization) on online nodes' }),
  free_memory_mb: z.number().openapi({ description: 'Sum of total − used over online nodes\' GPUs with readings' }),
  mean_utilization_pct: z.number().nullable(),
  newest_sample_age_ms: z.number().int().nullable().openapi({ description: 'null if no sample was ever received' }),
  healthy: z.boolean(),
  reasons: z.array(z.string()).openapi({ description: 'Why it is not healthy; empty when healthy' }),
}).openapi('RegionHealth')

export const regionsResponseSchema = z.object({
  generated_at: z.string(),
  stale_after_ms: z.number().int(),
  regions: z.array(regionHealthSchema),
}).openapi('Regions')

export const routeQuerySchema = z.object({
  region: z.string().min(1).max(64).optional().openapi({ description: 'Only this region', example: 'us-east-1' }),
  min_free_mb: z.string().regex(/^[0-9]{1,10}$/, 'must be a non-negative integer (MB)').optional()
    .openapi({ description: 'Free GPU memory the node needs, summed over its matching GPUs (default 0)', example: '40960' }),
  gpu_model: z.string().min(1).max(128).optional().openapi({ description: 'Case-insensitive substring of the GPU model', example: 'H100' }),
})

export const routeCandidateSchema = z.object({
  rank: z.number().int().nullable().openapi({ description: '1 = chosen; null = not eligible' }),
  eligible: z.boolean(),
  region: z.string(),
  node: z.object({ id: z.number().int(), hostname: z.string(), agent_url: z.string().nullable(), cluster_id: z.number().int() }),
  free_memory_mb: z.number().nullable(),
  mean_utilization_pct: z.number().nullable(),
  sample_age_ms: z.number().int().nullable(),
  why: z.string().openapi({ description: 'Why it won, lost, or was not eligible' }),
}).openapi('RouteCandidate')

export const routeResponseSchema = z.object({
  region: z.string(),
  node: z.object({ id: z.number().int(), hostname: z.string(), agent_url: z.string().nullable(), cluster_id: z.number().int() }),
  free_memory_mb: z.number(),
  mean_utilization_pct: z.number().nullable(),
  reason: z.string(),
  candidates: z.array(routeCandidateSchema),
  candidates_total: z.number().int(),
}).openapi('Route')
