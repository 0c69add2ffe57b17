import { z } from '@hono/zod-openapi'

/** GET /api/nodes/{id}/gpu-history (issue 17): per-GPU history of one node, or of one of its GPUs. */

export const GPU_HISTORY_RANGES = ['1h', '24h', '7d', '30d'] as const
export type GpuHistoryRange = typeof GPU_HISTORY_RANGES[number]

export const gpuHistoryQuerySchema = z.object({
  range: z.enum(GPU_HISTORY_RANGES).optional()
    .openapi({ param: { name: 'range', in: 'query' }, description: 'Window ending now: 1h (1-minute points), 24h (5 min), 7d (1 h), 30d (3 h); default 24h', example: '24h' }),
  // Digits only: the GPU's index on its node (gpu_stats.gpu_id), never a database id.
  gpu: z.string().regex(/^[0-9]{1,4}$/, 'must be a GPU index from 0 to 9999').optional()
    .openapi({ param: { name: 'gpu', in: 'query' }, description: 'Only the GPU with this index on the node (default: every GPU of the node)', example: '0' }),
})

const n = () => z.number().nullable()

export const gpuHistoryPointSchema = z.object({
  at: z.string().openapi({ description: 'Bucket start (ISO 8601, UTC)', example: '2026-04-26T04:00:00.000Z' }),
  samples: z.number().int().openapi({ description: 'Raw samples in the bucket' }),
  utilization_avg_pct: n(),
  utilization_max_pct: n(),
  temp_avg_c: n(),
  temp_max_c: n(),
  memory_used_avg_mb: n(),
  memory_used_max_mb: n(),
  memory_total_mb: n(),
  power_avg_w: n(),
  power_max_w: n(),
}).openapi('GpuHistoryPoint')

export const gpuHistorySchema = z.object({
  node_id: z.number().int(),
  hostname: z.string(),
  cluster_id: z.number().int(),
  range: z.enum(GPU_HISTORY_RANGES),
  step_seconds: z.number().int().openapi({ description: 'Width of each point\'s bucket', example: 300 }),
  from: z.string().openapi({ description: 'Start of the first bucket (ISO 8601)' }),
  to: z.string().openapi({ description: 'Now, the end of the window (ISO 8601)' }),
  gpus: z.array(z.object({
    gpu_index: z.number().int().openapi({ description: 'The GPU\'s index on the node (nvidia-smi\'s, seed 000\'s gpu_id)', example: 0 }),
    model: z.string().nullable(),
    uuid: z.string().nullable(),
    points: z.array(gpuHistoryPointSchema).openapi({ description: 'Buckets with samples, oldest first (a bucket without samples is absent)' }),
  })).openapi({ description: 'By GPU index; GPUs the node registered without samples in the window have no points' }),
}).openapi('GpuHistory')

export type GpuHistoryJson = z.infer<typeof gpuHistorySchema>
