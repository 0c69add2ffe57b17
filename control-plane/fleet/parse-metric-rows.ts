import { z } from '@hono/zod-openapi'
import { NODE_CLAIM_BOUNDS } from '../../shared/wire/node-claim-bounds.ts'

// Per GPU (node-claim-bounds.ts): free memory decides GET /v1/route, so a claim is bounded.
const MAX_MEMORY_MB = NODE_CLAIM_BOUNDS.gpuMemoryMb

/**
 * One seed 003 metrics row. Ranges follow seed 000 (temp 0..150 °C, power 0..10000 W,
 * utilization 0..100 %). Every reading is optional; null clears it, absent keeps it.
 */
export const metricRowSchema = z.object({
  gpu_id: z.number().int().positive().openapi({ description: 'GPU record id (from POST /api/clusters/gpus)' }),
  utilization_pct: z.number().min(0).max(100).nullish(),
  memory_used_mb: z.number().min(0).max(MAX_MEMORY_MB).nullish(),
  memory_total_mb: z.number().min(0).max(MAX_MEMORY_MB).nullish(),
  temperature_c: z.number().min(0).max(150).nullish(),
  power_draw_w: z.number().min(0).max(10000).nullish(),
}).openapi('MetricRow')
export type MetricRow = z.infer<typeof metricRowSchema>

export interface SkippedRow {
  index: number
  gpu_id: number | null
  reason: string
}

/**
 * Seed 000's fail-soft rule applied to seed 003's metrics: a row that is malformed or has
 * any value out of range is skipped (and reported), the other rows still apply.
 */
export function parseMetricRows (rows: readonly unknown[]): { valid: Array<MetricRow & { index: number }>, skipped: SkippedRow[] } {
  const valid: Array<MetricRow & { index: number }> = []
  const skipped: SkippedRow[] = []
  rows.forEach((row, index) => {
    const parsed = metricRowSchema.safeParse(row)
    if (parsed.success) {
      valid.push({ ...parsed.data, index })
      return
    }
    const issue = parsed.error.issues[0]
    const field = issue === undefined || issue.path.length === 0 ? 'row' : issue.path.join('.')
    const rawId = typeof row === 'object' && row !== null ? (row as Record<string, unknown>).gpu_id : undefined
    skipped.push({
      index,
      gpu_id: typeof rawId === 'number' && Number.isSafeInteger(rawId) ? rawId : null,
      reason: `${field}: ${issue?.message ?? 'invalid'}`,
    })
  })
  return { valid, skipped }
}
