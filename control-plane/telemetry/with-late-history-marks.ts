import type { DirtyBucket, GpuHistoryRepository } from '../store/gpu-history-repository.ts'
import { HISTORY_BUCKET_MS } from '../store/gpu-history-repository.ts'
import type { SampleBatch, TelemetryRepository } from '../store/telemetry-repository.ts'
import { batchRecordedAt, batchRows } from '../store/packed-samples.ts'

/** The 5-minute buckets (per node) of the samples recorded before `before`, each once. */
export function lateHistoryBuckets (batches: readonly SampleBatch[], before: number): DirtyBucket[] {
  const seen = new Set<string>()
  const out: DirtyBucket[] = []
  for (const b of batches) {
    // A batch's rows come a tick at a time: most share the previous row's bucket.
    let previous = NaN
    for (let r = 0, n = batchRows(b); r < n; r++) {
      const recordedAt = batchRecordedAt(b, r)
      if (recordedAt >= before) continue
      const bucketAt = Math.floor(recordedAt / HISTORY_BUCKET_MS) * HISTORY_BUCKET_MS
      if (bucketAt === previous) continue
      previous = bucketAt
      const key = `${b.nodeId}:${bucketAt}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ nodeId: b.nodeId, bucketAt })
    }
  }
  return out
}

/**
 * The ingest store with late rows reported to the GPU history: after each group commit, the
 * buckets of rows older than `lateAfterMs` are marked dirty for the history loop to rebuild.
 * Agents push fresh rows, so this writes only for replays and stragglers. Marked after the
 * commit, before any request is answered: a failed mark fails the commit's requests (503), the
 * agents retry, and the retried rows (duplicates now) mark their buckets again.
 */
export function withLateHistoryMarks (
  telemetry: Pick<TelemetryRepository, 'insertSamples'>,
  history: Pick<GpuHistoryRepository, 'markDirty'>,
  now: () => number,
  lateAfterMs: number,
): Pick<TelemetryRepository, 'insertSamples'> {
  return {
    async insertSamples (batches) {
      const results = await telemetry.insertSamples(batches)
      const late = lateHistoryBuckets(batches, now() - lateAfterMs)
      if (late.length > 0) await history.markDirty(late)
      return results
    },
  }
}
