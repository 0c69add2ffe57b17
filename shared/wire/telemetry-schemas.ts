import { z } from '@hono/zod-openapi'
import { WIRE_GPU_FIELDS, type GpuWireName } from '../gpu-fields.ts'

/** Query and response schemas of the telemetry routes (they also document /openapi.json). */

// Digits only (no "1e3", "0x1", "7.5"); the range is checked on the number.
const intParam = (name: string, min: number, max: number, description: string) => z.string()
  .regex(/^[0-9]{1,9}$/, 'must be an integer')
  .refine(s => Number(s) >= min && Number(s) <= max, `must be an integer from ${min} to ${max}`)
  .optional()
  .openapi({ param: { name, in: 'query' }, description, example: String(min) })

const idParam = (name: string, description: string) => z.string()
  .regex(/^[0-9]{1,15}$/, 'must be a positive integer id')
  .refine(s => Number(s) >= 1, 'must be a positive integer id')
  .optional()
  .openapi({ param: { name, in: 'query' }, description, example: '1' })

export const latestQuerySchema = z.object({
  node_id: idParam('node_id', 'Only this node'),
  cluster_id: idParam('cluster_id', 'Only this cluster'),
  hostname: z.string().min(1).max(253).optional()
    .openapi({ param: { name: 'hostname', in: 'query' }, description: 'Only the node with this hostname', example: 'gpu-node-01' }),
})

export const powerHistoryQuerySchema = z.object({
  days: intParam('days', 1, 30, 'Window length in days (default 7)'),
  bucket_minutes: intParam('bucket_minutes', 1, 1440, 'Bucket width in minutes, aligned to local midnight (default 5)'),
  tz: z.string().min(1).max(64).optional()
    .openapi({ param: { name: 'tz', in: 'query' }, description: 'IANA time zone for bucket alignment and offsets (default UTC)', example: 'Asia/Tokyo' }),
  node_id: idParam('node_id', 'Scope: one node (default: the whole fleet)'),
  cluster_id: idParam('cluster_id', 'Scope: one cluster (default: the whole fleet)'),
})

const n = () => z.number().nullable()

// Seed 000's example row.
const EXAMPLES: Partial<Record<GpuWireName, number>> = { power_draw_w: 612.4, temp_c: 47, memory_used_mb: 173456, memory_total_mb: 183359, utilization_pct: 84 }

/** Each stored reading of shared/gpu-fields.ts, by its wire name. */
const READINGS = Object.fromEntries(WIRE_GPU_FIELDS.map(f => {
  const example = EXAMPLES[f.wire]
  return [f.wire, example === undefined ? n() : n().openapi({ example })]
})) as { [K in GpuWireName]: ReturnType<typeof n> }

export const gpuStatSchema = z.object({
  id: z.number().int().openapi({ example: 1234567 }),
  recorded_at: z.string().openapi({ example: '2026-04-26T04:00:00+00:00' }),
  gpu_id: z.number().int().openapi({ example: 0 }),
  name: z.string().openapi({ example: 'NVIDIA B200' }),
  ...READINGS,
  uuid: z.string().nullable(),
  pci_bus_id: z.string().nullable(),
  node_id: z.number().int(),
  hostname: z.string().nullable(),
  cluster_id: z.number().int().nullable(),
}).openapi('GpuStat')

export const powerHistorySchema = z.object({
  days: z.number().int().openapi({ example: 7 }),
  bucket_minutes: z.number().int().openapi({ example: 5 }),
  tz: z.string().openapi({ example: 'Asia/Tokyo' }),
  node_id: z.number().int().nullable(),
  cluster_id: z.number().int().nullable(),
  points: z.array(z.object({
    recorded_at: z.string().openapi({ example: '2026-04-26T00:05:00+09:00' }),
    power_draw_w: z.number().openapi({ example: 5234.7 }),
  })),
}).openapi('PowerHistory')

export const ingestResultSchema = z.object({
  ok: z.literal(true),
  accepted: z.number().int().openapi({ description: 'Rows newly stored' }),
  duplicates: z.number().int().openapi({ description: 'Rows already stored for (node, gpu_id, recorded_at): ignored' }),
  skipped: z.number().int().openapi({ description: 'Rows dropped fail-soft (invalid, out of range, or outside the 7-day window)' }),
  revocation_epoch: z.number().int().optional().openapi({ description: 'Grows with every API key revocation; an agent drops its cached key verdicts when it changes' }),
}).openapi('GpuStatsIngestResult')
