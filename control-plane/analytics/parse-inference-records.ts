import type { InferenceRecordInput } from '../store/analytics-repository.ts'
import { inferenceRecordSchema } from '../../shared/wire/analytics-schemas.ts'
import { parseInstant } from '../../shared/parse-instant.ts'

export interface SkippedRecord {
  index: number
  id: string | null
  reason: string
}

export interface RecordWindow {
  /** Records stamped before this are skipped (a clock that was never set). */
  oldestMs: number
  /** Records stamped after this are skipped (the server clock plus a tolerance). */
  newestMs: number
}

/**
 * Fail-soft like seed 000's rows: each record is checked on its own; a bad one is skipped and
 * listed with the reason (first problem only), the others go on. Pure: no clock, no store.
 */
export function parseInferenceRecords (records: readonly unknown[], window: RecordWindow): { valid: InferenceRecordInput[], skipped: SkippedRecord[] } {
  const valid: InferenceRecordInput[] = []
  const skipped: SkippedRecord[] = []
  records.forEach((raw, index) => {
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? ((raw as { id: string }).id).slice(0, 128) : null
    const result = inferenceRecordSchema.safeParse(raw)
    if (!result.success) {
      const issue = result.error.issues[0]
      const path = issue?.path.map(String).join('.') ?? ''
      skipped.push({ index, id, reason: `${path === '' ? 'record' : path}: ${issue?.message ?? 'invalid'}` })
      return
    }
    const r = result.data
    const at = parseInstant(r.at)!
    if (at < window.oldestMs) {
      skipped.push({ index, id, reason: `at: before ${new Date(window.oldestMs).toISOString()}` })
      return
    }
    if (at > window.newestMs) {
      skipped.push({ index, id, reason: 'at: ahead of the server clock' })
      return
    }
    valid.push({
      id: r.id,
      at,
      endpoint: r.endpoint,
      model: r.model,
      tenantId: r.tenant_id ?? null,
      source: r.source ?? null,
      tokensIn: r.tokens_in,
      tokensOut: r.tokens_out,
      latencyMs: r.latency_ms,
      status: r.status,
    })
  })
  return { valid, skipped }
}
